using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Writes Longhorn custom resources as one multi-document YAML stream ("---" between documents), with Longhorn's field
/// names and types (docs/backupstore-format.md §8): strings where the CRD has strings (sizes, backupBlockSize, times), an integer progress,
/// a boolean available. A string that a YAML reader would type otherwise ("2097152", "true", "") is quoted.
/// </summary>
public static class ManifestWriter
{
    public static string Write(IEnumerable<CustomResource> resources)
    {
        var stream = new YamlStream();
        foreach (var resource in resources)
        {
            stream.Add(new YamlDocument(resource switch
            {
                BackupResource b => Backup(b),
                BackupVolumeResource v => BackupVolume(v),
                BackupTargetResource t => BackupTarget(t),
                _ => throw new ArgumentException($"{resource.GetType().Name} cannot be written as a manifest.", nameof(resources)),
            }));
        }
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        stream.Save(new SeparatedDocumentsEmitter(new Emitter(text, new EmitterSettings().WithNewLine("\n"))), assignAnchors: false);
        return text.ToString();
    }

    private static YamlMappingNode Backup(BackupResource b)
    {
        var spec = new YamlMappingNode
        {
            { "snapshotName", Str(b.SnapshotName) },
            { "labels", Map(b.Labels) },
            { "backupMode", Str(b.Mode) },
        };
        if (b.BlockSize > 0) spec.Add("backupBlockSize", Str(b.BlockSize.ToString(CultureInfo.InvariantCulture)));
        var status = new YamlMappingNode
        {
            { "state", Str(b.State) },
            { "progress", Int(b.State == "Completed" ? 100 : 0) },
        };
        if (!string.IsNullOrEmpty(b.Error)) status.Add("error", Str(b.Error));
        status.Add("url", Str(b.Url));
        status.Add("snapshotName", Str(b.SnapshotName));
        status.Add("snapshotCreatedAt", Str(b.SnapshotCreatedAt));
        status.Add("backupCreatedAt", Str(b.BackupCreatedAt));
        status.Add("size", Int64String(b.Size));
        status.Add("labels", Map(b.Labels));
        status.Add("volumeName", Str(b.VolumeName));
        status.Add("volumeSize", Int64String(b.VolumeSize));
        status.Add("volumeCreated", Str(b.VolumeCreated));
        status.Add("compressionMethod", Str(b.CompressionMethod));
        status.Add("newlyUploadDataSize", Int64String(b.NewlyUploadedDataSize));   // sic: Longhorn's JSON key has no "ed"
        status.Add("reUploadedDataSize", Int64String(b.ReUploadedDataSize));
        status.Add("backupTargetName", Str(b.TargetName));
        return Resource("Backup", b.Name, Labels(b.TargetName, b.VolumeName), spec, status);
    }

    private static YamlMappingNode BackupVolume(BackupVolumeResource v)
    {
        var spec = new YamlMappingNode
        {
            { "backupTargetName", Str(v.TargetName) },
            { "volumeName", Str(v.VolumeName) },
        };
        var status = new YamlMappingNode
        {
            { "size", Int64String(v.Size) },
            { "labels", Map(v.Labels) },
            { "createdAt", Str(v.CreatedAt) },
            { "lastBackupName", Str(v.LastBackupName) },
            { "lastBackupAt", Str(v.LastBackupAt) },
            { "dataStored", Int64String(v.DataStored) },
            { "backingImageName", Str(v.BackingImageName) },
            { "backingImageChecksum", Str(v.BackingImageChecksum) },
            { "storageClassName", Str(v.StorageClassName) },
        };
        return Resource("BackupVolume", BackupVolumeNames.For(v.VolumeName, v.TargetName), Labels(v.TargetName, v.VolumeName), spec, status);
    }

    private static YamlMappingNode BackupTarget(BackupTargetResource t)
    {
        var spec = new YamlMappingNode
        {
            { "backupTargetURL", Str(t.Url) },
            { "credentialSecret", Str(t.CredentialSecret) },
            { "pollInterval", Str(GoDuration.Format(t.PollInterval)) },
        };
        var status = new YamlMappingNode { { "available", Bool(t.Available) } };
        return Resource("BackupTarget", t.Name, null, spec, status);
    }

    private static YamlMappingNode Resource(string kind, string name, YamlMappingNode? labels, YamlMappingNode spec, YamlMappingNode status)
    {
        var metadata = new YamlMappingNode
        {
            { "name", Str(name) },
            { "namespace", Str(ManifestHeader.DefaultNamespace) },
        };
        if (labels is not null) metadata.Add("labels", labels);
        return new YamlMappingNode
        {
            { "apiVersion", Str(ManifestHeader.LonghornApiVersion) },
            { "kind", Str(kind) },
            { "metadata", metadata },
            { "spec", spec },
            { "status", status },
        };
    }

    /// <summary>The labels Longhorn's manager puts on Backup and BackupVolume objects.</summary>
    private static YamlMappingNode Labels(string target, string volume) => new()
    {
        { BackupManifestValidator.TargetLabel, Str(target) },
        { BackupManifestValidator.VolumeLabel, Str(volume) },
    };

    private static YamlMappingNode Map(IReadOnlyDictionary<string, string> map)
    {
        var node = new YamlMappingNode();
        foreach (var key in map.Keys.OrderBy(k => k, StringComparer.Ordinal)) node.Add(Str(key), Str(map[key]));
        return node;
    }

    /// <summary>A string scalar, quoted when a plain scalar would read back as something else (or as null).</summary>
    internal static YamlScalarNode Str(string? value)
    {
        value ??= "";
        return new YamlScalarNode(value) { Style = ScalarTypes.ReadsAsString(value) ? ScalarStyle.Any : ScalarStyle.DoubleQuoted };
    }

    /// <summary>An int64 the CRD serializes as a string (sizes, backupBlockSize).</summary>
    private static YamlScalarNode Int64String(long value) => Str(value.ToString(CultureInfo.InvariantCulture));

    private static YamlScalarNode Int(int value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    /// <summary>
    /// Writes documents as kubectl does: no "..." end markers, "---" before every document after the first.
    /// </summary>
    private sealed class SeparatedDocumentsEmitter(IEmitter inner) : IEmitter
    {
        private int _documents;

        public void Emit(ParsingEvent @event) => inner.Emit(@event switch
        {
            DocumentStart => new DocumentStart(null, null, isImplicit: _documents++ == 0),
            DocumentEnd => new DocumentEnd(isImplicit: true),
            _ => @event,
        });
    }
}
