using System.Text;
using System.Text.Json;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The engine's backup, incremental, full, label, restore and Longhorn-fixture behaviour, run unchanged on every
/// driver (one subclass each). What a backup stored is read back without the driver under test.
/// </summary>
public abstract class EngineOnTargetTests : IDisposable
{
    private const int B = TestImages.Block;

    protected abstract TargetHarness T { get; }

    public void Dispose() => T.Dispose();

    /// <summary>16 MiB: blocks 0, 2, 5 hold distinct data, block 7 repeats block 0, block 3 is allocated zeros.</summary>
    private string FirstImage() =>
        TestImages.Create(T.WorkFile("image.img"), 16 * TestImages.MiB,
            (0 * B, TestImages.RandomBytes(100)),
            (2 * B, TestImages.CompressibleBytes(102)),
            (3 * B, new byte[B]),
            (5 * B + 4096, TestImages.RandomBytes(105, 100)),
            (7 * B, TestImages.RandomBytes(100)));

    [Fact]
    public async Task First_backup_stores_each_distinct_block_once_and_restores_bit_exact()
    {
        string image = FirstImage();
        var r = await T.BackupAsync("vol-a", image, labels: new Dictionary<string, string> { ["app"] = "db", ["tier"] = "gold" });

        var objects = await T.ObjectsAsync();
        var blocks = await T.BlockKeysAsync("vol-a");
        Assert.Equal(3, blocks.Length);
        Assert.Equal(r.Backup.Blocks.Select(b => b.BlockChecksum).Distinct().Order(StringComparer.Ordinal),
            blocks.Select(k => Path.GetFileNameWithoutExtension(k)).Order(StringComparer.Ordinal));
        Assert.Equal(blocks.Sum(k => (long)objects[k].Length), r.Backup.NewlyUploadedDataSize);
        Assert.Equal(new long[] { 0, 2 * B, 5 * B, 7 * B }, r.Backup.Blocks.Select(b => b.Offset));

        // The cfgs in the store are the ones the result describes, labels included, at Longhorn's keys.
        var cfg = BackupConfig.Parse(objects[StorePaths.BackupConfig("vol-a", r.Backup.Name)], "cfg");
        Assert.Equal(r.Backup.Blocks, cfg.Blocks);
        Assert.False(cfg.IsInProgress);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "db", ["tier"] = "gold" }, cfg.Labels);
        var volume = VolumeConfig.Parse(objects[StorePaths.VolumeConfig("vol-a")], "volume.cfg");
        Assert.Equal(r.Backup.Name, volume.LastBackupName);
        Assert.Equal(3, volume.BlockCount);
        Assert.Equal("gold", volume.Labels!["tier"]);
        Assert.Equal(T.Url.BackupUrl("vol-a", r.Backup.Name), r.Url);

        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await T.RestoreToNewFileAsync("vol-a", r.Backup.Name)));
    }

    [Fact]
    public async Task Incremental_backup_uploads_exactly_the_changed_blocks_and_earlier_backups_still_restore()
    {
        string image = FirstImage();
        var first = await T.BackupAsync("vol-a", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        var before = (await T.BlockKeysAsync("vol-a")).ToHashSet();

        TestImages.Write(image, 2 * B, TestImages.RandomBytes(202));
        TestImages.Write(image, 4 * B, TestImages.CompressibleBytes(204));
        TestImages.Write(image, 6 * B + 100, TestImages.RandomBytes(206, 5000));
        var second = await T.BackupAsync("vol-a", image, snapshot: "s2");

        var after = await T.BlockKeysAsync("vol-a");
        Assert.Equal(3, after.Count(k => !before.Contains(k)));
        Assert.Subset(after.ToHashSet(), before);
        Assert.Equal(3, second.Counters.BlocksUploaded);
        Assert.True(second.Backup.IsIncremental);
        Assert.Equal(new long[] { 0, 2 * B, 4 * B, 5 * B, 6 * B, 7 * B }, second.Backup.Blocks.Select(b => b.Offset));

        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await T.RestoreToNewFileAsync("vol-a", second.Backup.Name)));
        Assert.Equal(firstSha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-a", first.Backup.Name)));
        Assert.Equal(new[] { first.Backup.Name, second.Backup.Name }.Order(StringComparer.Ordinal),
            await T.Store.ListBackupNamesAsync("vol-a", CancellationToken.None));
    }

    [Fact]
    public async Task Full_backup_repairs_a_corrupted_block_and_overwrites_the_others_only_where_writes_are_atomic()
    {
        string image = FirstImage();
        var first = await T.BackupAsync("vol-f", image, snapshot: "s1");
        var stored = await T.ObjectsAsync();
        string victim = StorePaths.Block("vol-f", first.Backup.Blocks[1].BlockChecksum);
        await T.PutObjectsAsync(new Dictionary<string, byte[]> { [victim] = Encoding.ASCII.GetBytes("garbage") });

        var broken = await Assert.ThrowsAsync<LonghornBackupException>(() => T.RestoreToNewFileAsync("vol-f", first.Backup.Name));
        Assert.Contains(broken.ErrorId, new[] { ErrorIds.ChecksumMismatch, ErrorIds.BlockDecompressionFailed });

        var full = await T.BackupAsync("vol-f", image, snapshot: "s2", mode: BackupMode.Full);
        Assert.Equal(0, full.Backup.NewlyUploadedDataSize);
        // Every block sent again as Longhorn does; on a store that may not replace objects atomically (S3), only the
        // damaged one, after every block was read back (overwriting a whole one there could tear it).
        bool atomic = T.Store.Store.ReplacesAtomically;
        Assert.Equal(atomic ? 3 : 1, full.Counters.BlocksUploaded);
        Assert.Equal(atomic ? 0 : 2, full.Counters.BlocksVerifiedInStore);
        Assert.Equal("full", full.Backup.Mode);
        Assert.Equal(stored[victim], (await T.ObjectsAsync())[victim]);   // the block is whole again
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await T.RestoreToNewFileAsync("vol-f", first.Backup.Name)));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task Other_compression_methods_round_trip(string method)
    {
        string image = FirstImage();
        var r = await T.BackupAsync("vol-c", image, compression: method);
        var objects = await T.ObjectsAsync();
        Assert.Equal(method, VolumeConfig.Parse(objects[StorePaths.VolumeConfig("vol-c")], "v").CompressionMethod);
        foreach (var key in await T.BlockKeysAsync("vol-c"))
        {
            if (method == "gzip") Assert.Equal(new byte[] { 0x1f, 0x8b }, objects[key][..2]);
            else Assert.Equal(Path.GetFileNameWithoutExtension(key), Checksum.Of(objects[key]));
        }
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await T.RestoreToNewFileAsync("vol-c", r.Backup.Name)));
    }

    [Fact]
    public async Task A_missing_block_fails_the_restore_with_BlockMissing_and_leaves_no_file()
    {
        string image = TestImages.Create(T.WorkFile("small.img"), 6 * TestImages.MiB, (0, TestImages.RandomBytes(9)), (4 * TestImages.MiB, TestImages.RandomBytes(10)));
        var r = await T.BackupAsync("vol-m", image);
        string checksum = r.Backup.Blocks[1].BlockChecksum;
        await T.Store.Store.DeleteAsync(StorePaths.Block("vol-m", checksum), CancellationToken.None);

        string output = T.WorkFile("out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            new Restore.RestoreEngine(T.Store).RunAsync(new Restore.RestoreRequest { VolumeName = "vol-m", BackupName = r.Backup.Name, OutputPath = output }, null, CancellationToken.None));
        Assert.Equal(ErrorIds.BlockMissing, e.ErrorId);
        Assert.Contains(checksum, e.Message);
        Assert.False(File.Exists(output));
    }

    private sealed record FixtureBackup(string Volume, string Backup, string Snapshot, string Image, string Sha256);

    private static IReadOnlyList<FixtureBackup> FixtureBackups()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestImages.FixtureRoot, "manifest.json")));
        return doc.RootElement.GetProperty("backups").EnumerateArray().Select(b => new FixtureBackup(
            b.GetProperty("volume").GetString()!, b.GetProperty("backup").GetString()!, b.GetProperty("snapshot").GetString()!,
            b.GetProperty("image").GetString()!, b.GetProperty("image_sha256").GetString()!)).ToList();
    }

    [Fact]
    public async Task The_store_longhorn_wrote_lists_and_restores_and_a_new_backup_reuses_its_blocks()
    {
        await T.LoadTreeAsync(Path.Combine(TestImages.FixtureRoot, "backupstore"), "backupstore/");
        var expected = FixtureBackups();

        Assert.Equal(expected.Select(b => b.Volume).Distinct().Order(StringComparer.Ordinal), await T.Store.ListVolumeNamesAsync(CancellationToken.None));
        foreach (var m in expected)
        {
            Assert.Contains(m.Backup, await T.Store.ListBackupNamesAsync(m.Volume, CancellationToken.None));
            Assert.Equal(m.Sha256, TestImages.Sha256(await T.RestoreToNewFileAsync(m.Volume, m.Backup)));
        }

        // Backing up the last image of a volume again stores nothing new: the pool Longhorn wrote is reused.
        var last = expected.Last();
        var blocksBefore = await T.BlockKeysAsync(last.Volume);
        string image = TestImages.GunzipSparse(Path.Combine(TestImages.FixtureRoot, last.Image), T.WorkFile("fixture.img"));
        var again = await T.BackupAsync(last.Volume, image, snapshot: last.Snapshot + "-again");
        Assert.Equal(0, again.Counters.BlocksUploaded);
        Assert.True(again.Backup.IsIncremental);
        Assert.Equal(blocksBefore, await T.BlockKeysAsync(last.Volume));
        Assert.Equal(last.Sha256, TestImages.Sha256(await T.RestoreToNewFileAsync(last.Volume, again.Backup.Name)));
    }

    [Fact]
    public async Task An_export_reads_the_backup_through_the_driver_byte_for_byte()
    {
        string image = FirstImage();
        var r = await T.BackupAsync("vol-x", image);
        var source = await Restore.RestoreSource.LoadAsync(T.Store, "vol-x", r.Backup.Name, false, "", "", CancellationToken.None);
        // Blocks read straight into cache buffers: random ones served where they lie, compressible ones decoded.
        var reader = new Export.BackupBlockReader(T.Store.Store, source, 8L * (B + Export.BlockCache.FrameRoom), 4, CancellationToken.None);
        var expected = await File.ReadAllBytesAsync(image);
        foreach (var (offset, length) in new (long, int)[] { (0, 8 * B), (B - 5, 2 * B + 10), (5L * B + 4000, 200), (7L * B, B) })
        {
            using var lease = await reader.ReadAsync(offset, length, CancellationToken.None);
            Assert.Equal(expected.AsSpan((int)offset, length).ToArray(), lease.Segments.SelectMany(x => x).ToArray());
        }
        Assert.Equal(0, reader.FailedReads);
        Assert.Equal(3, reader.BlocksFetched);   // three distinct blocks, each fetched once
    }

    [Fact]
    public async Task A_killed_backup_stops_garbage_collection_until_a_repair_clears_its_leftovers_and_then_exactly_its_blocks_go()
    {
        var none = CancellationToken.None;
        string image = FirstImage();
        var first = await T.BackupAsync("vol-k", image, "s1", locking: TestStore.FastLocks);
        TestImages.Write(image, 2 * B, TestImages.RandomBytes(120));
        var second = await T.BackupAsync("vol-k", image, "s2", locking: TestStore.FastLocks);
        string secondSha = TestImages.Sha256(image);
        TestImages.Write(image, 0, TestImages.RandomBytes(121));
        TestImages.Write(image, 5 * B, TestImages.RandomBytes(122));
        string dead = await DyingStore.KilledBackupAsync(T.Store, "vol-k", image, "s3");

        // What the dead run left: its in-progress cfg, its lock, and a block no finished backup uses.
        var left = await T.ObjectsAsync();
        Assert.Contains(StorePaths.BackupConfig("vol-k", dead), left.Keys);
        Assert.Contains(left.Keys, k => k.StartsWith(StorePaths.LocksDir("vol-k") + "/", StringComparison.Ordinal));
        var finished = new[] { first.Backup, second.Backup }.SelectMany(b => b.Blocks.Select(m => m.BlockChecksum)).ToHashSet();
        Assert.Contains(await T.BlockKeysAsync("vol-k"), k => !finished.Contains(Path.GetFileNameWithoutExtension(k)));

        // Two days later by the store's clock (which no test can move: its times are shifted as it reports them).
        var aged = new SkewedStore(T.Store.Store);
        foreach (var key in left.Keys) aged.Aged[key] = TimeSpan.FromDays(2);
        var store = new Backupstore(aged, T.Url);

        // Longhorn's deletion frees no block while the dead run's cfg says "in progress".
        var removal = await new BackupDeleter(store, TestStore.FastLocks).DeleteAsync("vol-k", new[] { first.Backup.Name }, null, null, none);
        Assert.False(removal.BlocksCollected);
        Assert.Contains(dead, removal.CollectionSkippedReason);

        // Finding the leftovers changes nothing.
        var repairer = new VolumeRepairer(store, TestStore.FastLocks);
        var before = await T.ObjectsAsync();
        var found = await repairer.FindAsync("vol-k", new LeftoverCleanup(), none);
        // Its in-progress cfg, the record(s) of the blocks it was sending, and its lock.
        Assert.Equal(new[] { $"InProgressBackup {dead}", "InFlightRecord", "Lock" },
            found.Select(l => l.Kind is "Lock" or "InFlightRecord" ? l.Kind : $"{l.Kind} {l.Name}").Distinct());
        Assert.All(found.Where(l => l.Kind == "InFlightRecord"), l => Assert.StartsWith(dead + ".", l.Name));
        Assert.Equal(before.Keys, (await T.ObjectsAsync()).Keys);

        var r = await repairer.RepairAsync("vol-k", new LeftoverCleanup(), collectGarbage: true, null, null, none);
        Assert.Empty(r.Leftovers.Errors);
        Assert.Equal(found.Select(l => l.Key).Order(), r.Leftovers.Removed.Select(l => l.Key).Order());
        Assert.True(r.BlocksCollected);
        var keep = second.Backup.Blocks.Select(m => m.BlockChecksum).ToHashSet();
        var after = await T.ObjectsAsync();
        var blocksBefore = before.Keys.Where(k => k.EndsWith(".blk", StringComparison.Ordinal)).ToList();
        var expectedFreed = blocksBefore.Where(k => !keep.Contains(Path.GetFileNameWithoutExtension(k))).ToList();
        Assert.Equal(keep.Order(), (await T.BlockKeysAsync("vol-k")).Select(k => Path.GetFileNameWithoutExtension(k)).Order());
        Assert.Equal(expectedFreed.Count, r.BlocksDeleted);
        Assert.Equal(expectedFreed.Sum(k => (long)before[k].Length), r.BlockBytesDeleted);
        Assert.DoesNotContain(after.Keys, k => k.StartsWith(StorePaths.LocksDir("vol-k") + "/", StringComparison.Ordinal));
        Assert.Equal(new[] { second.Backup.Name }, await T.Store.ListBackupNamesAsync("vol-k", none));
        Assert.Equal(keep.Count, (await T.Store.GetVolumeAsync("vol-k", none)).BlockCount);
        Assert.Equal(secondSha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-k", second.Backup.Name, locking: TestStore.FastLocks)));
    }
}

public sealed class EngineOnFileSystemTests : EngineOnTargetTests
{
    protected override TargetHarness T { get; } = new FileSystemHarness();
}

[Collection("S3")]
public sealed class EngineOnS3Tests : EngineOnTargetTests
{
    public EngineOnS3Tests(S3Server server) => T = new S3Harness(server);

    protected override TargetHarness T { get; }
}
