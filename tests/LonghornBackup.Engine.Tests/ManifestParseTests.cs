using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Engine.Tests;

/// <summary>Reading Backup manifests: Longhorn's examples as they are, warnings, and how command-line values combine.</summary>
public class ManifestParseTests
{
    private static BackupManifest ParseOne(string yaml, out IReadOnlyList<ManifestWarning> warnings)
    {
        var set = ManifestParser.Parse(yaml, "test.yaml", ManifestKinds.Backup);
        warnings = set.Warnings;
        return Assert.Single(set.Backups);
    }

    private static BackupManifest ParseOne(string yaml) => ParseOne(yaml, out _);

    [Fact]
    public void Longhorns_documentation_examples_parse_unchanged_without_warnings()
    {
        var inc = ParseOne(ManifestTestFiles.SeedIncremental, out var w1);
        var full = ParseOne(ManifestTestFiles.SeedFull, out var w2);
        Assert.Empty(w1);
        Assert.Empty(w2);
        Assert.Equal("backup-example", inc.Name);
        Assert.Equal("longhorn-system", inc.Namespace);
        Assert.Equal("snapshot-name-example", inc.SnapshotName);
        Assert.Equal(BackupMode.Incremental, inc.Mode);
        Assert.Equal(BackupMode.Full, full.Mode);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "test" }, inc.Labels);
        Assert.Null(inc.VolumeName);   // the examples do not name the volume: -VolumeName does
        Assert.Null(inc.BlockSize);
    }

    [Fact]
    public void Documents_are_numbered_as_separated_and_empty_ones_are_skipped()
    {
        string yaml = "---\n" + ManifestTestFiles.SeedIncremental + "---\n---\n" +
                      ManifestTestFiles.SeedFull.Replace("backup-example", "backup-example-full") + "---\n";
        var set = ManifestParser.Parse(yaml, "multi.yaml", ManifestKinds.Backup);
        Assert.Equal(new[] { 1, 3 }, set.Backups.Select(b => b.Location.Document));
        Assert.Equal(new[] { 2, 14 }, set.Backups.Select(b => b.Location.Line));
        Assert.Equal(new[] { "backup-example", "backup-example-full" }, set.Backups.Select(b => b.Name));
    }

    [Fact]
    public void Several_sources_are_read_as_one_input()
    {
        var set = ManifestParser.Parse(new[]
        {
            new ManifestSource("pipeline input 1", ManifestTestFiles.SeedIncremental),
            new ManifestSource("pipeline input 2", ManifestTestFiles.SeedFull.Replace("backup-example", "other")),
        }, ManifestKinds.Backup);
        Assert.Equal(new[] { "pipeline input 1", "pipeline input 2" }, set.Backups.Select(b => b.Location.Source));
    }

    [Fact]
    public void Unknown_fields_are_errors_as_with_kubectl_naming_document_line_and_the_field_meant()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-1
              lables:
                app: test
            spec:
              snapshotName: snap-1
              lables:
                app: test
              retain: 7
            extra: true
            status:
              state: Completed
            """;
        var e = Assert.Throws<InvalidManifestException>(() => ManifestParser.Parse(yaml, "test.yaml", ManifestKinds.Backup));
        Assert.Equal(new[] { ("metadata.lables", 5), ("spec.lables", 9), ("spec.retain", 11), ("extra", 12) },
            e.Problems.Select(p => (p.Location.FieldPath, p.Location.Line)));
        Assert.Contains("document 1 (backup-1) of test.yaml, line 9, spec.lables: unknown field 'spec.lables' (did you mean 'labels'?): Longhorn's Backup has no such field", e.Message);
        Assert.Contains("line 5, metadata.lables: unknown field 'metadata.lables' (did you mean 'labels'?): Kubernetes' object metadata", e.Message);
        Assert.Contains("-Validation Warn", e.Problems[0].Message);
        Assert.DoesNotContain("did you mean", e.Problems[2].Message);   // nothing near 'retain'
    }

    [Fact]
    public void Relaxed_unknown_fields_are_warnings_or_nothing_and_the_manifest_applies_without_them()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-1
            spec:
              snapshotName: snap-1
              backupmode: full
            extra: true
            """;
        var warned = ManifestParser.Parse(yaml, "test.yaml", ManifestKinds.Backup, ManifestValidation.Warn);
        Assert.Equal("snap-1", Assert.Single(warned.Backups).SnapshotName);
        Assert.Null(warned.Backups[0].Mode);
        Assert.Equal(new[] { ("spec.backupmode", 7), ("extra", 8) }, warned.Warnings.Select(w => (w.Location.FieldPath, w.Location.Line)));
        Assert.Equal("unknown field 'spec.backupmode' (did you mean 'backupMode'?) is ignored.", warned.Warnings[0].Message);
        var ignored = ManifestParser.Parse(yaml, "test.yaml", ManifestKinds.Backup, ManifestValidation.Ignore);
        Assert.Single(ignored.Backups);
        Assert.Empty(ignored.Warnings);
    }

    [Fact]
    public void An_object_as_kubectl_get_exports_it_applies_under_strict_validation()
    {
        // kubectl get backups.longhorn.io backup-1 -o yaml --show-managed-fields, as Longhorn's CRD (status subresource) has it.
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              annotations:
                kubectl.kubernetes.io/last-applied-configuration: |
                  {"apiVersion":"longhorn.io/v1beta2","kind":"Backup"}
              creationTimestamp: "2026-11-26T10:00:00Z"
              finalizers:
              - longhorn.io
              generation: 1
              labels:
                backup-volume: pvc-1
              managedFields:
              - apiVersion: longhorn.io/v1beta2
                fieldsType: FieldsV1
                fieldsV1:
                  f:spec: {}
                manager: longhorn-manager
                operation: Update
                time: "2026-11-26T10:00:01Z"
              name: backup-1
              namespace: longhorn-system
              ownerReferences:
              - apiVersion: longhorn.io/v1beta2
                kind: BackupVolume
                name: pvc-1-0a1b2c3d
                uid: 5b7c3a2e-0000-4000-8000-000000000001
              resourceVersion: "123456"
              uid: 0b1d2f3e-0000-4000-8000-000000000002
            spec:
              backupMode: incremental
              labels:
                app: test
              snapshotName: snap-1
              syncRequestedAt: null
            status:
              backupCreatedAt: "2026-11-26T10:00:05Z"
              lastSyncedAt: "2026-11-26T10:05:00Z"
              ownerID: node-1
              progress: 100
              replicaAddress: tcp://10.42.0.5:10000
              state: Completed
              anythingNewerLonghornAdds: kept out of the way
            """;
        var b = ParseOne(yaml, out var warnings);
        Assert.Empty(warnings);
        Assert.Equal(("backup-1", "pvc-1", "snap-1"), (b.Name, b.VolumeName, b.SnapshotName));
    }

    [Fact]
    public void Values_kubectl_would_reject_as_non_strings_are_read_as_text_with_a_warning()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-1
            spec:
              snapshotName: 20261126
              backupBlockSize: 2097152
              labels:
                tier: "1"
                replicas: 3
            """;
        var b = ParseOne(yaml, out var warnings);
        Assert.Equal("20261126", b.SnapshotName);
        Assert.Equal(2097152, b.BlockSize);
        Assert.Equal("3", b.Labels["replicas"]);
        Assert.Equal(new[] { "spec.snapshotName", "spec.backupBlockSize", "spec.labels.replicas" }, warnings.Select(w => w.Location.FieldPath));
        Assert.All(warnings, w => Assert.Contains("quote", w.Message, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("\"2097152\"", 2097152)]
    [InlineData("\"16777216\"", 16777216)]
    [InlineData("16Mi", 16777216)]
    [InlineData("2Mi", 2097152)]
    [InlineData("\"0\"", null)]
    [InlineData("\"\"", null)]
    public void Block_sizes_are_read_as_longhorn_writes_them(string yamlValue, int? expected)
    {
        var b = ParseOne($"apiVersion: longhorn.io/v1beta2\nkind: Backup\nmetadata:\n  name: b1\nspec:\n  snapshotName: s\n  backupBlockSize: {yamlValue}\n");
        Assert.Equal(expected, b.BlockSize);
    }

    [Fact]
    public void An_empty_backup_mode_means_incremental()
    {
        var b = ParseOne("apiVersion: longhorn.io/v1beta2\nkind: Backup\nmetadata:\n  name: b1\nspec:\n  snapshotName: s\n  backupMode: \"\"\n");
        Assert.Null(b.Mode);
        var planned = Assert.Single(BackupManifestPlanner.Plan(new[] { b }, new BackupManifestOverrides { VolumeName = "vol", DataPath = "img" }));
        Assert.Equal(BackupMode.Incremental, planned.Mode);
    }

    [Fact]
    public void The_volume_and_target_come_from_longhorns_labels()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-1
              labels:
                backup-volume: pvc-1
                backup-target: offsite
            spec:
              snapshotName: snap-1
            """;
        var p = Assert.Single(BackupManifestPlanner.Plan(new[] { ParseOne(yaml) }, new BackupManifestOverrides { DataPath = "img" }));
        Assert.Equal("pvc-1", p.VolumeName);
        Assert.Equal("offsite", p.TargetName);
        Assert.Equal("backup-1", p.BackupName);
    }

    [Fact]
    public void Command_line_values_override_the_manifest_and_labels_are_added()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-1
              labels:
                backup-volume: pvc-1
            spec:
              snapshotName: snap-1
              backupMode: full
              backupBlockSize: "16777216"
              labels:
                app: test
                tier: gold
            """;
        var overrides = new BackupManifestOverrides
        {
            TargetName = "other", VolumeName = "pvc-2", SnapshotName = "snap-2", BackupName = "backup-2",
            Mode = BackupMode.Incremental, BlockSize = 2097152, DataPath = "img",
            Labels = new Dictionary<string, string> { ["tier"] = "silver", ["ticket"] = "42" },
        };
        var p = Assert.Single(BackupManifestPlanner.Plan(new[] { ParseOne(yaml) }, overrides));
        Assert.Equal(("other", "pvc-2", "snap-2", "backup-2"), (p.TargetName, p.VolumeName, p.SnapshotName, p.BackupName));
        Assert.Equal(BackupMode.Incremental, p.Mode);
        Assert.Equal(2097152, p.BlockSize);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "test", ["tier"] = "silver", ["ticket"] = "42" }, p.Labels);
    }

    [Fact]
    public void Read_from_a_replica_directory_the_volume_is_the_one_its_name_holds_unless_named()
    {
        const string replica = "/var/lib/longhorn/replicas/pvc-7-0a1b2c3d";
        var unlabelled = new[] { ParseOne(ManifestTestFiles.SeedIncremental) };
        var p = Assert.Single(BackupManifestPlanner.Plan(unlabelled, new BackupManifestOverrides { ReplicaPath = replica + "/" }));
        Assert.Equal(("pvc-7", "snapshot-name-example"), (p.VolumeName, p.SnapshotName));
        Assert.Equal(replica + "/", p.SourceSpec.ReplicaPath);

        // Named by Longhorn's backup-volume label, or by -VolumeName: that name.
        var labelled = new[] { ParseOne(ManifestTestFiles.SeedIncremental.Replace("  name: backup-example\n", "  name: backup-example\n  labels:\n    backup-volume: pvc-8\n")) };
        Assert.Equal("pvc-8", Assert.Single(BackupManifestPlanner.Plan(labelled, new BackupManifestOverrides { ReplicaPath = replica })).VolumeName);
        Assert.Equal("pvc-9", Assert.Single(BackupManifestPlanner.Plan(labelled, new BackupManifestOverrides { ReplicaPath = replica, VolumeName = "pvc-9" })).VolumeName);

        var e = Assert.Throws<InvalidManifestException>(() => BackupManifestPlanner.Plan(unlabelled, new BackupManifestOverrides { ReplicaPath = "/srv/copy-of-replica" }));
        Assert.Contains("'copy-of-replica' is not <volume>-<8 hex>", e.Message);
        Assert.Contains("-VolumeName", e.Message);
    }

    [Fact]
    public void Invalid_command_line_values_are_refused_before_any_document_is_planned()
    {
        var manifests = new[] { ParseOne(ManifestTestFiles.SeedIncremental) };
        Assert.Equal(ErrorIds.InvalidName, Assert.Throws<LonghornBackupException>(() =>
            BackupManifestPlanner.Plan(manifests, new() { VolumeName = "Bad_Volume", DataPath = "i" })).ErrorId);
        Assert.Equal(ErrorIds.InvalidLabel, Assert.Throws<LonghornBackupException>(() =>
            BackupManifestPlanner.Plan(manifests, new() { VolumeName = "vol", DataPath = "i", Labels = new Dictionary<string, string> { ["a b"] = "x" } })).ErrorId);
        Assert.Equal(ErrorIds.InvalidBlockSize, Assert.Throws<LonghornBackupException>(() =>
            BackupManifestPlanner.Plan(manifests, new() { VolumeName = "vol", DataPath = "i", BlockSize = 4 << 20 })).ErrorId);
    }

    [Fact]
    public void Each_snapshot_reads_its_own_image_and_a_missing_one_is_refused()
    {
        string yaml = ManifestTestFiles.SeedIncremental + "---\n" +
                      ManifestTestFiles.SeedFull.Replace("backup-example", "backup-2").Replace("snapshot-name-example", "snap-b");
        var manifests = ManifestParser.Parse(yaml, "two.yaml", ManifestKinds.Backup).Backups;
        var warnings = new List<string>();
        var plan = BackupManifestPlanner.Plan(manifests, new BackupManifestOverrides
        {
            VolumeName = "vol",
            SnapshotPaths = new Dictionary<string, string> { ["snapshot-name-example"] = "/img/a", ["snap-b"] = "/img/b", ["snap-typo"] = "/img/c" },
        }, warnings);
        Assert.Equal(new[] { "/img/a", "/img/b" }, plan.Select(p => p.DataPath));
        Assert.Contains(warnings, w => w.Contains("'snap-typo'"));

        var e = Assert.Throws<LonghornBackupException>(() => BackupManifestPlanner.Plan(manifests, new BackupManifestOverrides
        {
            VolumeName = "vol",
            SnapshotPaths = new Dictionary<string, string> { ["snapshot-name-example"] = "/img/a" },
        }));
        Assert.Equal(ErrorIds.SnapshotPathMissing, e.ErrorId);
        Assert.Contains("'snap-b'", e.Message);
        Assert.Contains("document 2", e.Message);
    }

    [Fact]
    public void GenerateName_gets_a_kubernetes_style_random_suffix()
    {
        var b = ParseOne("apiVersion: longhorn.io/v1beta2\nkind: Backup\nmetadata:\n  generateName: nightly-\nspec:\n  snapshotName: s\n");
        var names = Enumerable.Range(0, 5)
            .Select(_ => Assert.Single(BackupManifestPlanner.Plan(new[] { b }, new BackupManifestOverrides { VolumeName = "vol", DataPath = "i" })).BackupName!)
            .ToList();
        Assert.All(names, n => Assert.Matches("^nightly-[bcdfghjklmnpqrstvwxz2456789]{5}$", n));
        Assert.True(names.Distinct().Count() > 1);
    }

    [Fact]
    public void Without_a_name_the_engine_generates_longhorns_backup_name()
    {
        var b = ParseOne("apiVersion: longhorn.io/v1beta2\nkind: Backup\nmetadata: {}\nspec:\n  snapshotName: s\n");
        Assert.Null(Assert.Single(BackupManifestPlanner.Plan(new[] { b }, new BackupManifestOverrides { VolumeName = "vol", DataPath = "i" })).BackupName);
    }

    [Fact]
    public void A_missing_manifest_file_is_reported_by_path()
    {
        var e = Assert.Throws<LonghornBackupException>(() => ManifestSource.FromFile("/nonexistent/backup.yaml"));
        Assert.Equal(ErrorIds.InvalidManifest, e.ErrorId);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.Contains("/nonexistent/backup.yaml", e.Message);
    }

    [Theory]
    [InlineData("5m0s", 300)]
    [InlineData("300s", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5m", 90)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    public void Go_durations_parse(string text, int seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("5 minutes")]
    [InlineData("m5")]
    [InlineData("")]
    [InlineData("5d")]
    public void Invalid_go_durations_are_refused(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(300, "5m0s")]
    [InlineData(3600, "1h0m0s")]
    [InlineData(30, "30s")]
    [InlineData(0, "0s")]
    [InlineData(5430, "1h30m30s")]
    public void Go_durations_format_as_go_does(int seconds, string expected) => Assert.Equal(expected, GoDuration.Format(TimeSpan.FromSeconds(seconds)));
}
