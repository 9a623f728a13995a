using LonghornBackup.Engine.Manifests;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Exported YAML read back by a generic YAML parser: Longhorn's field names (docs/backupstore-format.md §8) and Longhorn's types, with
/// strings wherever the CRD has strings, so kubectl and Longhorn read what this module writes.
/// </summary>
public class ManifestWriterTests
{
    internal static readonly BackupResource SampleBackup = new()
    {
        Name = "backup-0123456789abcdef",
        VolumeName = "pvc-1",
        TargetName = "default",
        SnapshotName = "20261126",                     // looks like a number: must stay a string
        Labels = new Dictionary<string, string> { ["app"] = "test", ["enabled"] = "yes", ["count"] = "3", ["empty"] = "" },
        Mode = "full",
        BlockSize = 2097152,
        State = "Completed",
        Url = "vfs:///mnt/backupstore?backup=backup-0123456789abcdef&volume=pvc-1",
        SnapshotCreatedAt = "2026-11-26T03:04:05Z",
        BackupCreatedAt = "2026-11-26T03:05:40Z",
        Size = 8388608,
        VolumeSize = 33554432,
        VolumeCreated = "2026-11-20T00:00:00Z",
        CompressionMethod = "lz4",
        NewlyUploadedDataSize = 8265,
        ReUploadedDataSize = 0,
    };

    internal static readonly BackupVolumeResource SampleVolume = new()
    {
        VolumeName = "pvc-1",
        TargetName = "default",
        Size = 33554432,
        Labels = new Dictionary<string, string> { ["app"] = "test" },
        CreatedAt = "2026-11-20T00:00:00Z",
        LastBackupName = "backup-0123456789abcdef",
        LastBackupAt = "2026-11-26T03:04:05Z",
        DataStored = 8388608,
    };

    internal static readonly BackupTargetResource SampleTarget = new()
    {
        Name = "default",
        Url = "vfs:///mnt/backupstore",
        Available = true,
    };

    /// <summary>Each document as plain .NET values, typed the way a generic YAML reader types unquoted scalars.</summary>
    private static List<Dictionary<object, object>> ReadGeneric(string yaml)
    {
        var deserializer = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        var docs = new List<Dictionary<object, object>>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
            docs.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        return docs;
    }

    private static Dictionary<object, object> Map(Dictionary<object, object> d, string key) => Assert.IsType<Dictionary<object, object>>(d[key]);

    private static void AssertInteger(long expected, object value)
    {
        Assert.True(value is byte or sbyte or short or ushort or int or uint or long or ulong, $"{value} is a {value.GetType().Name}, not an integer");
        Assert.Equal(expected, Convert.ToInt64(value));
    }

    private static void AssertKeys(IEnumerable<string> expected, Dictionary<object, object> map) =>
        Assert.Equal(expected.Order(), map.Keys.Cast<string>().Order());

    [Fact]
    public void A_backup_is_written_with_longhorns_field_names_and_types()
    {
        var doc = Assert.Single(ReadGeneric(ManifestWriter.Write(new[] { SampleBackup })));
        Assert.Equal("longhorn.io/v1beta2", doc["apiVersion"]);
        Assert.Equal("Backup", doc["kind"]);
        var metadata = Map(doc, "metadata");
        Assert.Equal("backup-0123456789abcdef", metadata["name"]);
        Assert.Equal("longhorn-system", metadata["namespace"]);
        Assert.Equal(new Dictionary<object, object> { ["backup-target"] = "default", ["backup-volume"] = "pvc-1" }, Map(metadata, "labels"));

        var spec = Map(doc, "spec");
        AssertKeys(new[] { "snapshotName", "labels", "backupMode", "backupBlockSize" }, spec);
        Assert.Equal("20261126", spec["snapshotName"]);
        Assert.Equal("full", spec["backupMode"]);
        Assert.Equal("2097152", spec["backupBlockSize"]);          // int64 serialized as a string

        var status = Map(doc, "status");
        AssertKeys(new[]
        {
            "state", "progress", "url", "snapshotName", "snapshotCreatedAt", "backupCreatedAt", "size", "labels", "volumeName",
            "volumeSize", "volumeCreated", "compressionMethod", "newlyUploadDataSize", "reUploadedDataSize", "backupTargetName",
        }, status);
        AssertInteger(100, status["progress"]);                      // an integer, not a string
        foreach (var key in status.Keys.Cast<string>().Where(k => k is not ("progress" or "labels")))
            Assert.IsType<string>(status[key]);                      // every other status field is a string in the CRD
        Assert.Equal("8388608", status["size"]);
        Assert.Equal("33554432", status["volumeSize"]);
        Assert.Equal("8265", status["newlyUploadDataSize"]);
        Assert.Equal("0", status["reUploadedDataSize"]);
        Assert.Equal("2026-11-26T03:04:05Z", status["snapshotCreatedAt"]);
        Assert.Equal("Completed", status["state"]);
        Assert.Equal(SampleBackup.Url, status["url"]);

        // Label values that look like other types come back as the same strings.
        var expectedLabels = SampleBackup.Labels.ToDictionary(p => (object)p.Key, p => (object)p.Value);
        Assert.Equal(expectedLabels, Map(spec, "labels"));
        Assert.Equal(expectedLabels, Map(status, "labels"));
    }

    [Fact]
    public void Strings_that_yaml_1_1_readers_would_retype_are_quoted()
    {
        // Kubernetes' reader is YAML 1.1: yes/no/on/off are booleans there, 0x10 and 1_000 numbers.
        var labels = new[] { "yes", "No", "on", "OFF", "y", "0x10", "1_000", "1e3", "~", "null", "2026-11-26", ".inf" }
            .Select((v, i) => ($"k{i}", v)).ToDictionary(p => p.Item1, p => p.v);
        string yaml = ManifestWriter.Write(new[] { SampleBackup with { Labels = labels } });
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var specLabels = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["spec"])["labels"];
        foreach (var (k, v) in specLabels.Children)
        {
            var scalar = (YamlScalarNode)v;
            Assert.Equal(labels[((YamlScalarNode)k).Value!], scalar.Value);
            Assert.NotEqual(ScalarStyle.Plain, scalar.Style);
        }
    }

    [Fact]
    public void A_backup_volume_is_named_by_longhorns_rule_and_typed_as_its_crd()
    {
        var doc = Assert.Single(ReadGeneric(ManifestWriter.Write(new[] { SampleVolume })));
        Assert.Equal("BackupVolume", doc["kind"]);
        var metadata = Map(doc, "metadata");
        // "<volume>-<first 8 hex of SHA-256("<volume>-<target>")>": sha256("pvc-1-default") starts 5e6cec46.
        Assert.Equal("pvc-1-5e6cec46", metadata["name"]);
        var spec = Map(doc, "spec");
        AssertKeys(new[] { "backupTargetName", "volumeName" }, spec);
        Assert.Equal("pvc-1", spec["volumeName"]);
        var status = Map(doc, "status");
        AssertKeys(new[]
        {
            "size", "labels", "createdAt", "lastBackupName", "lastBackupAt", "dataStored", "backingImageName",
            "backingImageChecksum", "storageClassName",
        }, status);
        foreach (var key in status.Keys.Cast<string>().Where(k => k != "labels")) Assert.IsType<string>(status[key]);
        Assert.Equal("33554432", status["size"]);
        Assert.Equal("8388608", status["dataStored"]);
        Assert.Equal("", status["backingImageName"]);
    }

    [Fact]
    public void The_backup_volume_name_depends_on_the_target()
    {
        Assert.Equal("pvc-1-5e6cec46", BackupVolumeNames.For("pvc-1", "default"));
        Assert.NotEqual(BackupVolumeNames.For("pvc-1", "default"), BackupVolumeNames.For("pvc-1", "offsite"));
        Assert.StartsWith("pvc-1-", BackupVolumeNames.For("pvc-1", "offsite"));
    }

    [Fact]
    public void A_backup_target_is_written_with_a_go_duration_and_a_boolean()
    {
        var doc = Assert.Single(ReadGeneric(ManifestWriter.Write(new[] { SampleTarget with { CredentialSecret = "minio-secret" } })));
        Assert.Equal("BackupTarget", doc["kind"]);
        var spec = Map(doc, "spec");
        AssertKeys(new[] { "backupTargetURL", "credentialSecret", "pollInterval" }, spec);
        Assert.Equal("vfs:///mnt/backupstore", spec["backupTargetURL"]);
        Assert.Equal("minio-secret", spec["credentialSecret"]);
        Assert.Equal("5m0s", spec["pollInterval"]);
        Assert.Equal(true, Map(doc, "status")["available"]);
    }

    [Fact]
    public void Many_objects_make_one_stream_separated_by_three_dashes()
    {
        string yaml = ManifestWriter.Write(new CustomResource[] { SampleTarget, SampleVolume, SampleBackup, SampleBackup with { Name = "b2", State = "InProgress" } });
        Assert.Equal(3, yaml.Split('\n').Count(l => l == "---"));
        Assert.DoesNotContain("\n...", yaml);
        var docs = ReadGeneric(yaml);
        Assert.Equal(new object[] { "BackupTarget", "BackupVolume", "Backup", "Backup" }, docs.Select(d => d["kind"]));
        AssertInteger(0, Map(docs[3], "status")["progress"]);
        Assert.Equal("InProgress", Map(docs[3], "status")["state"]);
    }

    [Fact]
    public void An_unreadable_backup_is_written_with_state_error_and_its_message()
    {
        var doc = Assert.Single(ReadGeneric(ManifestWriter.Write(new[]
        {
            new BackupResource { Name = "backup-bad", VolumeName = "v", TargetName = "default", State = "Error", Error = "The backup config is not valid: x" },
        })));
        var status = Map(doc, "status");
        Assert.Equal("Error", status["state"]);
        Assert.Equal("The backup config is not valid: x", status["error"]);
        Assert.Equal("", Map(doc, "spec")["backupMode"]);
    }

    [Fact]
    public void Exported_backups_parse_back_as_backup_manifests()
    {
        var set = ManifestParser.Parse(ManifestWriter.Write(new[] { SampleBackup }), "export.yaml", ManifestKinds.Backup);
        var b = Assert.Single(set.Backups);
        Assert.Empty(set.Warnings);
        Assert.Equal(SampleBackup.Name, b.Name);
        Assert.Equal("pvc-1", b.VolumeName);
        Assert.Equal("default", b.TargetName);
        Assert.Equal(SampleBackup.SnapshotName, b.SnapshotName);
        Assert.Equal(Format.BackupMode.Full, b.Mode);
        Assert.Equal(2097152, b.BlockSize);
        Assert.Equal(SampleBackup.Labels, b.Labels);
    }
}
