using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Manifests applied with the real engine: Longhorn's two examples give backups with the right mode, labels and
/// metrics; an exported backup applied again to the same snapshot gives an equivalent backup; a taken name is refused.
/// </summary>
public class ManifestRoundTripTests
{
    private static string Image(TestStore t) => TestImages.Create(t.WorkFile("snap.img"), 16 * TestImages.MiB,
        (0, TestImages.RandomBytes(1)), (3 * TestImages.Block, TestImages.RandomBytes(2)), (5 * TestImages.Block, TestImages.RandomBytes(3)));

    /// <summary>What New-LhBackup -Manifest does: parse, plan, check names, then run each backup.</summary>
    private static async Task<List<BackupResult>> ApplyAsync(TestStore t, string yaml, BackupManifestOverrides overrides)
    {
        var set = ManifestParser.Parse(yaml, "test.yaml", ManifestKinds.Backup);
        var plan = BackupManifestPlanner.Plan(set.Backups, overrides);
        await BackupManifestPlanner.EnsureNamesAreFreeAsync(plan, _ => t.Store, CancellationToken.None);
        var results = new List<BackupResult>();
        foreach (var p in plan)
            results.Add(await TestStore.RunBackupAsync(t.Store, p.ToRequest(RawImageSource.Open(p.DataPath))));
        return results;
    }

    /// <summary>The export mapping ConvertTo-LhManifest applies to a listed backup.</summary>
    private static BackupResource Export(BackupResult r, string target) => new()
    {
        Name = r.Backup.Name,
        VolumeName = r.Backup.VolumeName,
        TargetName = target,
        SnapshotName = r.Backup.SnapshotName,
        Labels = r.Backup.Labels ?? new Dictionary<string, string>(),
        Mode = r.Backup.Mode,
        BlockSize = r.Backup.BlockSize ?? 0,
        State = r.Backup.IsInProgress ? "InProgress" : "Completed",
        Url = r.Url,
        SnapshotCreatedAt = r.Backup.SnapshotCreatedAt,
        BackupCreatedAt = r.Backup.CreatedTime,
        Size = r.Backup.Size,
        VolumeSize = r.Volume.Size,
        VolumeCreated = r.Volume.CreatedTime,
        CompressionMethod = r.Backup.EffectiveCompressionMethod,
        NewlyUploadedDataSize = r.Backup.NewlyUploadedDataSize,
        ReUploadedDataSize = r.Backup.ReUploadedDataSize,
    };

    [Fact]
    public async Task Longhorns_examples_give_an_incremental_then_a_full_backup_with_labels_and_metrics()
    {
        using var t = new TestStore();
        string image = Image(t);
        var inc = Assert.Single(await ApplyAsync(t, ManifestTestFiles.SeedIncremental, new() { VolumeName = "vol", DataPath = image }));
        Assert.Equal("backup-example", inc.Backup.Name);
        Assert.Equal("incremental", inc.Backup.Mode);
        Assert.Equal("snapshot-name-example", inc.Backup.SnapshotName);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "test" }, inc.Backup.Labels);
        Assert.True(inc.Backup.NewlyUploadedDataSize > 3 * TestImages.Block, "three random blocks are new to the store");
        Assert.Equal(0, inc.Backup.ReUploadedDataSize);

        // The full example carries the same metadata.name: the command line renames it.
        var full = Assert.Single(await ApplyAsync(t, ManifestTestFiles.SeedFull,
            new() { VolumeName = "vol", DataPath = image, BackupName = "backup-example-full" }));
        Assert.Equal("full", full.Backup.Mode);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "test" }, full.Backup.Labels);
        Assert.Equal(0, full.Backup.NewlyUploadedDataSize);
        Assert.Equal(inc.Backup.NewlyUploadedDataSize, full.Backup.ReUploadedDataSize);   // every block again, same bytes
    }

    [Fact]
    public async Task Applying_a_name_that_exists_is_refused_and_writes_nothing()
    {
        using var t = new TestStore();
        string image = Image(t);
        await ApplyAsync(t, ManifestTestFiles.SeedIncremental, new() { VolumeName = "vol", DataPath = image });
        var before = Snapshot(t.Root);

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            ApplyAsync(t, ManifestTestFiles.SeedFull, new() { VolumeName = "vol", DataPath = image }));
        Assert.Equal(ErrorIds.BackupNameInUse, e.ErrorId);
        Assert.Equal(ErrorKind.AlreadyExists, e.Kind);
        Assert.Contains("line 4, metadata.name", e.Message);
        Assert.Contains("-Name", e.RecommendedAction);
        Assert.Equal(before, Snapshot(t.Root));
    }

    [Fact]
    public async Task A_stream_with_one_bad_document_writes_nothing_at_all()
    {
        using var t = new TestStore();
        string image = Image(t);
        var bad = ManifestTestFiles.LoadInvalid("15-second-document-invalid.yaml");
        await Assert.ThrowsAsync<InvalidManifestException>(() => ApplyAsync(t, bad.Text, new() { VolumeName = "vol", DataPath = image }));
        Assert.True(t.RootIsEmpty);
    }

    [Fact]
    public async Task An_exported_backup_applied_again_to_the_same_snapshot_gives_an_equivalent_backup()
    {
        using var source = new TestStore();
        string image = Image(source);
        var original = Assert.Single(await ApplyAsync(source, ManifestTestFiles.SeedFull.Replace("app: test", "app: test\n    tier: gold"),
            new() { VolumeName = "vol-rt", DataPath = image }));
        string yaml = ManifestWriter.Write(new[] { Export(original, "default") });

        // Applied to another target (the name is free there): volume and target come from Longhorn's labels.
        using var other = new TestStore();
        var again = Assert.Single(await ApplyAsync(other, yaml, new() { DataPath = image }));
        Assert.Equal(original.Backup.Name, again.Backup.Name);
        Assert.Equal("vol-rt", again.Backup.VolumeName);
        Assert.Equal(original.Backup.Mode, again.Backup.Mode);
        Assert.Equal(original.Backup.SnapshotName, again.Backup.SnapshotName);
        Assert.Equal(original.Backup.Labels, again.Backup.Labels);
        Assert.Equal(original.Backup.BlockSize, again.Backup.BlockSize);
        Assert.Equal(original.Backup.Blocks, again.Backup.Blocks);

        // Applied to the same target under a new name: the same blocks, nothing new uploaded (a full backup re-uploads).
        var copy = Assert.Single(await ApplyAsync(source, yaml, new() { DataPath = image, BackupName = "backup-rt-copy" }));
        Assert.Equal(original.Backup.Blocks, copy.Backup.Blocks);
        Assert.Equal("full", copy.Backup.Mode);
        Assert.Equal(0, copy.Backup.NewlyUploadedDataSize);
    }

    private static string Snapshot(string root) => string.Join("\n",
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{f}={Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));
}
