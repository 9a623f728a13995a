using System.Text.Json;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The store written by Longhorn's own Go library (tests/fixtures/longhorn-backupstore): the engine lists, inspects
/// and restores it to the exact images, and backs up into it without re-uploading what Longhorn stored.
/// Every test works on a private copy; the fixture in the repository is read-only.
/// </summary>
public class FixtureTests
{
    public sealed record ManifestBackup(
        string Volume, string Backup, string Snapshot, string Mode, bool IsIncremental, Dictionary<string, string> Labels,
        string Compression, long BlockSize, string Image, string ImageSha256, long RestoredSize, int BlockMapEntries,
        long Size, long NewlyUploadedDataSize, long ReUploadedDataSize, string SnapshotCreatedAt, string CreatedTime)
    {
        public override string ToString() => $"{Volume}/{Backup}";
    }

    private static readonly Lazy<IReadOnlyList<ManifestBackup>> Manifest = new(LoadManifest);

    /// <summary>Every backup of the fixture as manifest.json describes it (other test classes check against it too).</summary>
    internal static IReadOnlyList<ManifestBackup> ManifestBackups => Manifest.Value;

    private static IReadOnlyList<ManifestBackup> LoadManifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestImages.FixtureRoot, "manifest.json")));
        return doc.RootElement.GetProperty("backups").EnumerateArray().Select(b => new ManifestBackup(
            b.GetProperty("volume").GetString()!,
            b.GetProperty("backup").GetString()!,
            b.GetProperty("snapshot").GetString()!,
            b.GetProperty("mode").GetString()!,
            b.GetProperty("is_incremental").GetBoolean(),
            b.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            b.GetProperty("compression").GetString()!,
            b.GetProperty("block_size").GetInt64(),
            b.GetProperty("image").GetString()!,
            b.GetProperty("image_sha256").GetString()!,
            b.GetProperty("restored_size").GetInt64(),
            b.GetProperty("block_map_entries").GetInt32(),
            long.Parse(b.GetProperty("Size").GetString()!),
            long.Parse(b.GetProperty("NewlyUploadedDataSize").GetString()!),
            long.Parse(b.GetProperty("ReUploadedDataSize").GetString()!),
            b.GetProperty("SnapshotCreatedAt").GetString()!,
            b.GetProperty("CreatedTime").GetString()!)).ToList();
    }

    public static TheoryData<string> BackupNames()
    {
        var data = new TheoryData<string>();
        foreach (var b in Manifest.Value) data.Add(b.Backup);
        return data;
    }

    private static ManifestBackup Entry(string backup) => Manifest.Value.Single(b => b.Backup == backup);

    [Fact]
    public async Task Lists_the_three_volumes_and_their_backups()
    {
        using var t = new TestStore(TestImages.FixtureRoot);
        var volumes = await t.Store.ListVolumeNamesAsync(CancellationToken.None);
        Assert.Equal(new[] { "vol-gzip", "vol-lz4", "vol-none" }, volumes);
        foreach (var volume in volumes)
        {
            var expected = Manifest.Value.Where(b => b.Volume == volume).Select(b => b.Backup).OrderBy(n => n, StringComparer.Ordinal);
            Assert.Equal(expected, await t.Store.ListBackupNamesAsync(volume, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Volume_cfgs_carry_longhorns_values()
    {
        using var t = new TestStore(TestImages.FixtureRoot);
        foreach (var group in Manifest.Value.GroupBy(b => b.Volume))
        {
            var v = await t.Store.GetVolumeAsync(group.Key, CancellationToken.None);
            var last = group.Last();
            Assert.Equal(group.Key, v.Name);
            Assert.Equal(last.RestoredSize, v.Size);
            Assert.Equal(last.Compression, v.EffectiveCompressionMethod);
            Assert.Equal("v1", v.EffectiveDataEngine);
            Assert.Equal(last.Backup, v.LastBackupName);
            Assert.Equal(last.SnapshotCreatedAt, v.LastBackupAt);
            Assert.Equal(last.Labels, v.Labels);
            Assert.Equal(t.BlockFiles(group.Key).Length, v.BlockCount);
        }
    }

    [Theory]
    [MemberData(nameof(BackupNames))]
    public async Task Each_backup_cfg_has_longhorns_values(string backupName)
    {
        var m = Entry(backupName);
        using var t = new TestStore(TestImages.FixtureRoot);
        var b = await t.Store.GetBackupAsync(m.Volume, m.Backup, CancellationToken.None);
        Assert.Equal(m.Backup, b.Name);
        Assert.Equal(m.Volume, b.VolumeName);
        Assert.Equal(m.Snapshot, b.SnapshotName);
        Assert.Equal(m.Mode, b.Mode);
        Assert.Equal(m.IsIncremental, b.IsIncremental);
        Assert.Equal(m.Labels, b.Labels);
        Assert.Equal(m.Size, b.Size);
        Assert.Equal(m.NewlyUploadedDataSize, b.NewlyUploadedDataSize);
        Assert.Equal(m.ReUploadedDataSize, b.ReUploadedDataSize);
        Assert.Equal(m.Compression, b.EffectiveCompressionMethod);
        Assert.Equal(m.BlockSize, b.BlockSize);
        Assert.Equal(m.BlockMapEntries, b.Blocks.Count);
        Assert.Equal(m.SnapshotCreatedAt, b.SnapshotCreatedAt);
        Assert.Equal(m.CreatedTime, b.CreatedTime);
        Assert.False(b.IsInProgress);
    }

    [Theory]
    [MemberData(nameof(BackupNames))]
    public async Task Each_backup_restores_to_the_image_longhorn_backed_up(string backupName)
    {
        var m = Entry(backupName);
        using var t = new TestStore(TestImages.FixtureRoot);
        string output = t.WorkFile("restored.img");
        var result = await t.RestoreAsync(m.Volume, m.Backup, output);
        Assert.Equal(m.RestoredSize, new FileInfo(output).Length);
        Assert.Equal(m.RestoredSize, result.Size);
        Assert.Equal(m.ImageSha256, TestImages.Sha256(output));
    }

    [Fact]
    public void Fixture_images_are_what_the_manifest_says()
    {
        // Guards the other tests: the gunzipped images hash to image_sha256.
        using var dir = new TempDir();
        foreach (var m in Manifest.Value)
        {
            string image = TestImages.GunzipSparse(Path.Combine(TestImages.FixtureRoot, m.Image), dir.File(m.Backup + ".img"));
            Assert.Equal(m.ImageSha256, TestImages.Sha256(image));
        }
    }

    [Theory]
    [MemberData(nameof(BackupNames))]
    public async Task Backing_up_a_fixture_image_again_uploads_nothing_new(string backupName)
    {
        var m = Entry(backupName);
        using var t = new TestStore(TestImages.FixtureRoot);
        string image = TestImages.GunzipSparse(Path.Combine(TestImages.FixtureRoot, m.Image), t.WorkFile("image.img"));
        var blocksBefore = t.BlockFiles(m.Volume).Select(Path.GetFileName).Order().ToArray();
        var volumeBefore = await t.Store.GetVolumeAsync(m.Volume, CancellationToken.None);

        var result = await t.BackupAsync(m.Volume, image, snapshot: m.Snapshot + "-again", mode: BackupMode.Incremental);

        Assert.Equal(0, result.Backup.NewlyUploadedDataSize);
        Assert.Equal(0, result.Counters.BlocksUploaded);
        Assert.Equal(0, result.Counters.NewlyUploadedDataSize);
        Assert.Equal(blocksBefore, t.BlockFiles(m.Volume).Select(Path.GetFileName).Order().ToArray());
        Assert.Equal(m.Compression, result.Backup.CompressionMethod);
        Assert.Equal(m.BlockSize, result.Backup.BlockSize);
        Assert.True(result.Backup.IsIncremental);
        Assert.Equal(volumeBefore.BlockCount, result.Volume.BlockCount);

        var listed = await t.Store.ListBackupNamesAsync(m.Volume, CancellationToken.None);
        Assert.Contains(result.Backup.Name, listed);
        string restored = await t.RestoreToNewFileAsync(m.Volume, result.Backup.Name);
        Assert.Equal(m.ImageSha256, TestImages.Sha256(restored));
        // Longhorn's own backups are untouched and still restore.
        string old = await t.RestoreToNewFileAsync(m.Volume, m.Backup);
        Assert.Equal(m.ImageSha256, TestImages.Sha256(old));
    }
}
