using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A backup stores its blocks while Longhorn's lock protocol waits its 2 s, before the lock is held. What another
/// client does in that window (a deletion that runs and finishes, freeing blocks) must never leave a backup that
/// references a block the store lacks; a deletion already running when the backup starts sees nothing written.
/// </summary>
public class LockWaitOverlapTests
{
    private static readonly LockOptions SlowCheck = TestStore.FastLocks with { CheckWait = TimeSpan.FromMilliseconds(400) };

    private static string ImageOf(TestStore t, string name, params int[] seeds) =>
        TestImages.Create(t.WorkFile(name), 8L * TestImages.Block,
            seeds.Select((seed, i) => ((long)i * TestImages.Block, TestImages.RandomBytes(seed))).ToArray());

    private static async Task<BackupResult> BackupAsync(TestStore t, HookedStore hooked, string image, LockOptions locks,
        BackupMode mode = BackupMode.Incremental, IBlockSource? source = null)
    {
        using var src = source ?? RawImageSource.Open(image);
        return await new BackupEngine(t.Through(_ => hooked), null, locks).RunAsync(new BackupRequest
        {
            VolumeName = "vol",
            SnapshotName = "s1",
            Source = src,
            Mode = mode,
            ChangeCacheDirectory = t.ChangeCacheDirectory,
        }, null, CancellationToken.None);
    }

    /// <summary>Runs <paramref name="action"/> just before the backup's lock file is rewritten as acquired.</summary>
    internal static void BeforeLockIsHeld(HookedStore hooked, Action action)
    {
        int lockWrites = 0;
        hooked.Before = (operation, key) =>
        {
            if (operation == "Write" && key.EndsWith(".lck", StringComparison.Ordinal) && Interlocked.Increment(ref lockWrites) == 2) action();
            return Task.CompletedTask;
        };
    }

    [Fact]
    public async Task Blocks_are_stored_while_the_lock_protocol_waits()
    {
        using var t = new TestStore();
        string image = ImageOf(t, "vol.img", 1, 2, 3);
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        // The check wait ends only when the test opens it, and the test opens it only once all three blocks are
        // stored: a backup that stored nothing before its lock was held would never get there.
        var clock = new GatedWaitClock(SlowCheck.CheckWait);
        var blocksStored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int blocksWritten = 0;
        hooked.AfterWrite = key =>
        {
            if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref blocksWritten) == 3) blocksStored.TrySetResult();
        };

        var backup = BackupAsync(t, hooked, image, SlowCheck with { Clock = clock });
        // Not a time window: the bound only keeps an engine that stores nothing before its lock from hanging the test.
        try { await Task.WhenAny(blocksStored.Task, backup).Unwrap().WaitAsync(TimeSpan.FromMinutes(5)); }
        catch (TimeoutException) { Assert.Fail("the blocks were not stored while the lock protocol waited"); }
        Assert.False(backup.IsCompleted, "the backup ended while its lock's check wait was still closed");
        clock.Open();
        await backup;

        var calls = hooked.Calls.ToList();
        int acquired = calls.FindIndex(c => c.Operation == "Write" && c.Key.EndsWith(".lck", StringComparison.Ordinal)
                                            && c.Data is { } d && LockFile.Parse(d, c.Key).Acquired);
        var blockWrites = calls.Select((c, i) => (c, i)).Where(x => x.c.Operation == "Write" && x.c.Key.EndsWith(".blk", StringComparison.Ordinal)).ToList();
        Assert.True(acquired > 0);
        Assert.Equal(3, blockWrites.Count);
        Assert.All(blockWrites, w => Assert.True(w.i < acquired, "a block was written only after the lock was held"));
    }

    [Fact]
    public async Task A_deletion_that_frees_every_block_during_the_lock_wait_leaves_a_complete_restorable_backup()
    {
        using var t = new TestStore();
        string first = ImageOf(t, "v1.img", 1, 2, 3);
        await t.BackupAsync("vol", first);
        // The second snapshot shares blocks 1 and 2 with the first: an incremental backup reuses them.
        string second = ImageOf(t, "v2.img", 1, 2, 4);
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        // Another client deletes the first backup and its garbage collection frees every block (ours included, as
        // a collection that listed the backups before our in-progress cfg appeared could), all within our wait.
        BeforeLockIsHeld(hooked, () =>
        {
            foreach (var file in t.BlockFiles("vol")) File.Delete(file);
        });
        // The wait ends only once our one new block (4) is stored, so the collection frees it too, whatever the load.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        hooked.AfterWrite = key =>
        {
            if (key.EndsWith(".blk", StringComparison.Ordinal)) clock.Open();
        };

        var backup = BackupAsync(t, hooked, second, TestStore.FastLocks with { Clock = clock });
        // Not a time window: the bound only keeps a backup that stores nothing before its lock from hanging the test.
        var result = await backup.WaitAsync(TimeSpan.FromMinutes(2));

        var cfg = t.ReadBackupCfg("vol", result.Backup.Name);
        Assert.Equal(3, cfg.Blocks.Count);
        Assert.All(cfg.Blocks, b => Assert.True(File.Exists(t.BlockFile("vol", b.BlockChecksum)), $"block {b.BlockChecksum} is missing"));
        string restored = t.WorkFile("restored.img");
        await t.RestoreAsync("vol", result.Backup.Name, restored);
        Assert.Equal(TestImages.Sha256(second), TestImages.Sha256(restored));
        // Every block was new to the store in the end, and each counts once.
        Assert.Equal(3, result.Counters.NewBlocks);
        Assert.Equal(0, result.Counters.ExistingBlocksSkipped);
        Assert.Equal(cfg.Blocks.Sum(b => new FileInfo(t.BlockFile("vol", b.BlockChecksum)).Length), cfg.NewlyUploadedDataSize);
    }

    [Fact]
    public async Task A_deletion_running_when_the_backup_starts_sees_nothing_written()
    {
        using var t = new TestStore();
        string image = ImageOf(t, "vol.img", 1, 2);
        await t.BackupAsync("vol", image);
        t.PlantLock("vol", LockType.Deletion, acquired: true);
        string before = t.TreeState();
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => BackupAsync(t, hooked, ImageOf(t, "v2.img", 5, 6), SlowCheck));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Equal(before, t.TreeState());
        Assert.DoesNotContain(hooked.Calls, c => c.Operation == "Write" && !c.Key.EndsWith(".lck", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deletion_that_takes_the_lock_first_fails_the_backup_and_leaves_no_backup()
    {
        using var t = new TestStore();
        string image = ImageOf(t, "vol.img", 1, 2);
        await t.BackupAsync("vol", image);
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        // A deletion whose lock file is older than ours appears during our wait (its file was not visible yet). The
        // wait ends only once it has appeared, so our lock's look finds it whatever the machine's load.
        var clock = new GatedWaitClock(SlowCheck.CheckWait);
        int planted = 0;
        hooked.Before = (operation, key) =>
        {
            if (operation == "ListTree" && key.Contains("/blocks", StringComparison.Ordinal) && Interlocked.Exchange(ref planted, 1) == 0)
            {
                t.PlantLock("vol", LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(1));
                clock.Open();
            }
            return Task.CompletedTask;
        };

        var backup = BackupAsync(t, hooked, ImageOf(t, "v2.img", 5, 6), SlowCheck with { Clock = clock });
        // Not a time window: the bound only keeps a backup that never lists its blocks from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => backup.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Single(await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));
    }
}
