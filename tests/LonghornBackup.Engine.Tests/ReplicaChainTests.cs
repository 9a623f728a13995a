using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Blocks.Replica;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Longhorn replica directories read as the engine reads them (docs/backupstore-format.md §10): every snapshot's export, backup and restore
/// equal the flat image the builder assembles from its own model, and a backup of a chain has the block map a backup of
/// that flat image has.
/// </summary>
public class ReplicaChainTests
{
    private const int B = TestImages.Block;
    private const int Sector = 4096;

    /// <summary>
    /// 16 MiB, five layers: a (blocks 0, 2, 3), b (a sector of block 0 rewritten, allocated zeros over all of block 3
    /// and half of block 2), c (removed, still in the chain: block 5), d (block 6, a sector of block 2), and the head
    /// (block 7 and block 0: never part of a snapshot's view).
    /// </summary>
    internal static ReplicaBuilder FiveLayers(string folder, string volume = "pvc-chain")
    {
        return new ReplicaBuilder(folder, volume, 16 * TestImages.MiB)
            .Write(0, TestImages.RandomBytes(1)).Write(2L * B, TestImages.RandomBytes(2)).Write(3L * B, TestImages.CompressibleBytes(3))
            .Snapshot("a")
            .Write(5 * Sector, TestImages.RandomBytes(4, Sector)).WriteZeros(3 * B, B).WriteZeros(2 * B, B / 2)
            .Snapshot("b")
            .Write(5L * B, TestImages.RandomBytes(5))
            .Snapshot("c", removed: true)
            .Write(6L * B, TestImages.RandomBytes(6)).Write(2L * B + 9 * Sector, TestImages.RandomBytes(7, Sector))
            .Snapshot("d")
            .Write(7L * B, TestImages.RandomBytes(8)).Write(0, TestImages.RandomBytes(9, 3 * Sector));
    }

    private static ReplicaChainSource Open(ReplicaBuilder r, string snapshot) => ReplicaChainSource.Open(ReplicaDirectory.Open(r.Path), snapshot);

    private static async Task<BackupResult> Backup(TestStore t, string volume, IBlockSource source, string snapshot,
        BackupMode mode = BackupMode.Incremental, int? blockSize = null) =>
        await TestStore.RunBackupAsync(t.Store, new BackupRequest
        {
            VolumeName = volume, SnapshotName = snapshot, Source = source, Mode = mode, BlockSize = blockSize,
            UseChangeCache = false,
        });

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    [InlineData("c")]
    [InlineData("d")]
    public async Task Every_snapshot_exports_as_the_flat_image_of_its_chain(string snapshot)
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        string expected = r.ExpectedImage(snapshot, t.WorkFile("expected.img"));
        string exported = t.WorkFile("exported.img");
        using (var source = Open(r, snapshot))
            await SnapshotExporter.ExportAsync(source, exported, overwrite: false, null, default);
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(exported));
    }

    [Fact]
    public async Task An_export_keeps_holes_as_holes()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        string exported = t.WorkFile("exported.img");
        using (var source = Open(r, "a"))
            await SnapshotExporter.ExportAsync(source, exported, overwrite: false, null, default);
        using var handle = File.OpenHandle(exported);
        var extents = FileExtents.Read(handle, 16 * TestImages.MiB);
        Assert.Equal(3L * B, RangeSet.TotalLength(extents));   // blocks 0, 2 and 3 of snapshot a, nothing else
    }

    [Theory]
    [InlineData("a", B)]
    [InlineData("d", B)]
    [InlineData("d", 16 * TestImages.MiB)]
    public async Task A_backup_of_a_snapshot_restores_its_chain_exactly_and_maps_blocks_as_the_flat_image_does(string snapshot, int blockSize)
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        string expected = r.ExpectedImage(snapshot, t.WorkFile("expected.img"));
        BackupResult fromChain;
        using (var source = Open(r, snapshot)) fromChain = await Backup(t, "from-chain", source, snapshot, blockSize: blockSize);
        var fromFlat = await Backup(t, "from-flat", RawImageSource.Open(expected), snapshot, blockSize: blockSize);

        Assert.Equal(fromFlat.Backup.Blocks, fromChain.Backup.Blocks);
        string restored = await t.RestoreToNewFileAsync("from-chain", fromChain.Backup.Name);
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task Incrementals_down_the_chain_read_only_what_changed_and_each_restores_exactly()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        var results = new Dictionary<string, BackupResult>();
        foreach (string snapshot in new[] { "a", "b", "d" })
            using (var source = Open(r, snapshot)) results[snapshot] = await Backup(t, "pvc-chain", source, snapshot);

        Assert.Null(results["a"].DiffBaseSnapshot);                 // the first backup reads the whole chain
        Assert.Equal(3L * B, results["a"].Counters.BytesRead);
        Assert.Equal("a", results["b"].DiffBaseSnapshot);           // b changed blocks 0, 2 and 3
        Assert.Equal(3, results["b"].BlocksChanged);
        Assert.Equal(3L * B, results["b"].Counters.BytesRead);
        Assert.True(results["b"].Backup.IsIncremental);
        Assert.Equal("b", results["d"].DiffBaseSnapshot);           // c (removed) and d changed blocks 2, 5 and 6
        Assert.Equal(3, results["d"].BlocksChanged);
        Assert.Equal(3L * B, results["d"].Counters.BytesRead);
        foreach (var (snapshot, result) in results)
        {
            string expected = r.ExpectedImage(snapshot, t.WorkFile($"expected-{snapshot}.img"));
            var flat = await Backup(t, $"flat-{snapshot}", RawImageSource.Open(expected), snapshot);
            Assert.Equal(flat.Backup.Blocks, result.Backup.Blocks);
            string restored = await t.RestoreToNewFileAsync("pvc-chain", result.Backup.Name);
            Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(restored));
        }
    }

    [Fact]
    public async Task An_incremental_whose_base_snapshot_was_deleted_reads_the_whole_chain()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        using (var source = Open(r, "b")) await Backup(t, "pvc-chain", source, "b");
        r.DeleteSnapshot("b");

        BackupResult result;
        using (var source = Open(r, "d")) result = await Backup(t, "pvc-chain", source, "d");

        Assert.Null(result.DiffBaseSnapshot);
        Assert.Equal(5L * B, result.Counters.BytesRead);   // blocks 0, 2, 3, 5 and 6 of the whole chain
        string expected = r.ExpectedImage("d", t.WorkFile("expected.img"));
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(await t.RestoreToNewFileAsync("pvc-chain", result.Backup.Name)));
    }

    [Fact]
    public async Task A_deletion_of_the_base_during_the_lock_wait_makes_the_incremental_read_the_whole_chain()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        string baseBackup;
        using (var source = Open(r, "b")) baseBackup = (await Backup(t, "pvc-chain", source, "b")).Backup.Name;
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        // Another client deletes the base backup and frees its blocks while this backup waits for its lock.
        LockWaitOverlapTests.BeforeLockIsHeld(hooked, () =>
        {
            File.Delete(t.BackupCfgFile("pvc-chain", baseBackup));
            foreach (var file in t.BlockFiles("pvc-chain")) File.Delete(file);
        });
        // The check wait ends only once the incremental has stored the three blocks d changed (2, 5 and 6): the
        // deletion comes after the incremental did its work against the base, whatever the machine's load.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        int blocksWritten = 0;
        hooked.AfterWrite = key =>
        {
            if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref blocksWritten) == 3) clock.Open();
        };

        BackupResult result;
        using (var source = Open(r, "d"))
        {
            var backup = new BackupEngine(t.Through(_ => hooked), null, TestStore.FastLocks with { Clock = clock })
                .RunAsync(new BackupRequest { VolumeName = "pvc-chain", SnapshotName = "d", Source = source, UseChangeCache = false }, null, default);
            // Not a time window: the bound only keeps an incremental that stores nothing before its lock from hanging the test.
            result = await backup.WaitAsync(TimeSpan.FromMinutes(2));
        }

        Assert.Null(result.DiffBaseSnapshot);
        Assert.Equal(3L * B + 5L * B, result.Counters.BytesRead);   // the incremental's three blocks, then the whole chain's five
        string expected = r.ExpectedImage("d", t.WorkFile("expected.img"));
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(await t.RestoreToNewFileAsync("pvc-chain", result.Backup.Name)));
    }

    [Fact]
    public async Task Backing_up_the_same_snapshot_again_or_in_full_mode_reads_the_whole_chain()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        using (var source = Open(r, "b")) await Backup(t, "pvc-chain", source, "b");
        using (var source = Open(r, "b")) Assert.Null((await Backup(t, "pvc-chain", source, "b")).DiffBaseSnapshot);
        using (var source = Open(r, "d"))
        {
            var full = await Backup(t, "pvc-chain", source, "d", BackupMode.Full);
            Assert.Null(full.DiffBaseSnapshot);
            Assert.Equal(5L * B, full.Counters.BytesRead);
        }
    }

    [Fact]
    public async Task A_backing_file_shows_through_where_no_layer_holds_data_and_is_backed_up_with_it()
    {
        using var t = new TestStore();
        var r = new ReplicaBuilder(t.Work, "pvc-backed", 8 * TestImages.MiB)
            .WithBackingFile(t.WorkFile("backing.raw"), (0, TestImages.RandomBytes(20)), (3L * B, TestImages.RandomBytes(21)))
            .Write(Sector, TestImages.RandomBytes(22, Sector)).Write(2L * B, TestImages.RandomBytes(23))
            .Snapshot("s1");
        string expected = r.ExpectedImage("s1", t.WorkFile("expected.img"));
        string exported = t.WorkFile("exported.img");
        BackupResult result;
        using (var source = Open(r, "s1"))
        {
            await SnapshotExporter.ExportAsync(source, exported, overwrite: false, null, default);
            result = await Backup(t, "pvc-backed", source, "s1");
        }
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(exported));
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(await t.RestoreToNewFileAsync("pvc-backed", result.Backup.Name)));
    }

    [Fact]
    public async Task The_head_is_read_only_when_asked_for_by_name()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        string expected = r.ExpectedImage("volume-head", t.WorkFile("expected.img"));
        string exported = t.WorkFile("exported.img");
        using (var source = Open(r, ReplicaDirectory.HeadName))
        {
            Assert.Equal(r.Head, source.Chain[0]);
            await SnapshotExporter.ExportAsync(source, exported, overwrite: false, null, default);
        }
        Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(exported));
        using var d = Open(r, "d");
        Assert.DoesNotContain(r.Head, d.Chain);
    }

    [Fact]
    public async Task A_backup_of_a_replica_snapshot_records_when_the_snapshot_was_taken_and_retention_counts_it_so()
    {
        using var t = new TestStore();
        var r = new ReplicaBuilder(t.Work, "pvc-aged", 8 * TestImages.MiB)
            .Write(0, TestImages.RandomBytes(1)).Snapshot("monday", created: "2026-11-23T09:15:00Z")
            .Write(B, TestImages.RandomBytes(2)).Snapshot("tuesday", created: "2026-11-24T10:15:00+01:00")
            .Write(2L * B, TestImages.RandomBytes(3)).Snapshot("untimed", created: "");
        var started = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        async Task<BackupResult> BackUp(string snapshot)
        {
            using var source = Open(r, snapshot);
            return await TestStore.RunBackupAsync(t.Store, new BackupRequest
            {
                VolumeName = "pvc-aged", SnapshotName = snapshot, Source = source, UseChangeCache = false,
            }, new FixedClock(started));
        }

        // A node brought back days later: the newer snapshot is backed up first, then the older one.
        var tuesday = await BackUp("tuesday");
        var monday = await BackUp("monday");
        var untimed = await BackUp("untimed");
        var head = await BackUp(ReplicaDirectory.HeadName);

        Assert.Equal("2026-11-24T09:15:00Z", tuesday.Backup.SnapshotCreatedAt);   // as Longhorn writes times: UTC, seconds
        Assert.Equal("2026-11-23T09:15:00Z", monday.Backup.SnapshotCreatedAt);
        Assert.Equal("2026-12-01T08:00:00Z", untimed.Backup.SnapshotCreatedAt);   // no time recorded: when the backup started
        Assert.Equal("2026-12-01T08:00:00Z", head.Backup.SnapshotCreatedAt);      // the live head is no snapshot
        var listed = await t.Store.ListBackupsAsync("pvc-aged", null, default);
        Assert.Equal(new[] { monday.Backup.Name, tuesday.Backup.Name }, listed.Select(b => b.BackupName).Take(2));   // oldest first

        // One daily per day: monday's and tuesday's backups are two days, though both were made on December 1st.
        var timed = listed.Where(b => b.BackupName == monday.Backup.Name || b.BackupName == tuesday.Backup.Name).ToList();
        var plan = RetentionPlanner.Plan(timed, new RetentionPolicy { KeepDaily = 2, TimeZone = TimeZoneInfo.Utc }, null, null);
        Assert.Empty(plan.Delete);
        plan = RetentionPlanner.Plan(timed, new RetentionPolicy { KeepLast = 1 }, null, null);
        Assert.Equal(tuesday.Backup.Name, Assert.Single(plan.Keep).BackupName);
    }

    [Fact]
    public async Task A_layer_that_changes_during_a_backup_fails_it_and_keeps_nothing()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        using var source = Open(r, "d");
        // Longhorn coalescing the removed snapshot c into d: d's file gains data after the chain was opened.
        TestImages.Write(Path.Combine(r.Path, ReplicaBuilder.Snap("d")), 5L * B, TestImages.RandomBytes(30));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => Backup(t, "pvc-chain", source, "d"));

        Assert.Equal(ErrorIds.SnapshotChanged, e.ErrorId);
        Assert.Contains("volume-snap-d.img", e.Message);
        Assert.Empty(Directory.GetFiles(t.Root, "backup_*.cfg", SearchOption.AllDirectories));
    }

    [Fact]
    public void Bad_replica_directories_give_clear_errors()
    {
        using var t = new TestStore();
        var missing = Assert.Throws<LonghornBackupException>(() => ReplicaDirectory.Open(t.WorkFile("nowhere")));
        Assert.Equal(ErrorIds.ReplicaNotFound, missing.ErrorId);

        var r = FiveLayers(t.Work);
        var noSnapshot = Assert.Throws<LonghornBackupException>(() => Open(r, "zzz"));
        Assert.Equal(ErrorIds.SnapshotNotFound, noSnapshot.ErrorId);
        Assert.Contains("a, b, c, d", noSnapshot.Message);

        File.Delete(Path.Combine(r.Path, ReplicaBuilder.Snap("b") + ".meta"));
        var broken = Assert.Throws<LonghornBackupException>(() => Open(r, "d"));
        Assert.Equal(ErrorIds.ReplicaInvalid, broken.ErrorId);
        Assert.Contains("volume-snap-b.img", broken.Message);

        File.WriteAllText(Path.Combine(r.Path, "volume.meta"), "{not json");
        Assert.Equal(ErrorIds.ReplicaInvalid, Assert.Throws<LonghornBackupException>(() => ReplicaDirectory.Open(r.Path)).ErrorId);
    }

    [Fact]
    public void The_snapshot_list_follows_the_chain_and_says_what_each_layer_holds()
    {
        using var t = new TestStore();
        var r = FiveLayers(t.Work);
        var replica = ReplicaDirectory.Open(r.Path);
        var list = ReplicaSnapshots.List(replica);

        Assert.Equal(new[] { "a", "b", "c", "d", "volume-head" }, list.Select(s => s.Name));
        Assert.Equal(new[] { "", "a", "b", "c", "d" }, list.Select(s => s.Parent));
        Assert.True(list.Single(s => s.Name == "c").Removed);
        Assert.True(list[^1].IsHead);
        Assert.Equal(3L * B, list[0].AllocatedBytes);
        Assert.Equal(Sector + B + B / 2, list[1].AllocatedBytes);
        Assert.Equal("pvc-chain", replica.VolumeNameFromDirectory);
    }
}
