using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A restore does its work while Longhorn's lock protocol waits (docs/backupstore-format.md §6.1), but declares success only under the
/// lock: a conflict found after the work still fails it with LockConflict and leaves no image, no temporary file and
/// no lock file. The lock's check is held back (by a store hook, or a check wait that ends on the test's word) until the
/// work has got where the test needs it, so the overlap is certain, not a matter of timing.
/// </summary>
public class RestoreDuringLockWaitTests
{
    private const int B = TestImages.Block;
    private const string Volume = "vol-w";

    private sealed record Setup(TestStore Store, string Image, string Backup, string[] Checksums);

    /// <summary>A volume of <paramref name="blocks"/> blocks of data, but for the <paramref name="holes"/> left as zeros.</summary>
    private static async Task<Setup> VolumeWithBlocks(int blocks, params int[] holes)
    {
        var t = new TestStore();
        var writes = Enumerable.Range(0, blocks).Where(i => !holes.Contains(i)).Select(i => ((long)i * B, i % 2 == 0 ? TestImages.RandomBytes(100 + i) : TestImages.CompressibleBytes(100 + i))).ToArray();
        string image = TestImages.Create(t.WorkFile("image.img"), (long)blocks * B, writes);
        var r = await t.BackupAsync(Volume, image);
        return new Setup(t, image, r.Backup.Name, r.Backup.Blocks.Select(b => b.BlockChecksum).ToArray());
    }

    /// <summary>The store as the restore sees it: block reads counted, and the lock's check held until every block was read.</summary>
    private sealed class OverlapProbe
    {
        private readonly TaskCompletionSource _allRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _blocks;
        private int _reads;

        public OverlapProbe(TestStore t, int blocks, string output)
        {
            _blocks = blocks;
            Store = t.Through(inner => new HookedStore(inner) { Before = (op, key) => BeforeAsync(op, key, output) });
        }

        public Backupstore Store { get; }
        public int BlockReads => Volatile.Read(ref _reads);
        public bool? OutputExistedAtLockCheck { get; private set; }

        private async Task BeforeAsync(string op, string key, string output)
        {
            if (op == "Read" && key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref _reads) == _blocks)
                _allRead.TrySetResult();
            if (op == "List" && key == StorePaths.LocksDir(Volume) && OutputExistedAtLockCheck is null)
            {
                // Not a time window: the bound only keeps a restore that reads no block before its lock from hanging.
                await _allRead.Task.WaitAsync(TimeSpan.FromMinutes(2));
                OutputExistedAtLockCheck = File.Exists(output);
            }
        }
    }

    private static Task<RestoreResult> RestoreAsync(Backupstore store, Setup s, string output, LockOptions? locking = null,
        int? concurrency = null, CancellationToken ct = default) =>
        new RestoreEngine(store, locking ?? TestStore.FastLocks).RunAsync(new RestoreRequest
        {
            VolumeName = Volume,
            BackupName = s.Backup,
            OutputPath = output,
            Concurrency = concurrency,
        }, null, ct);

    private static void AssertOnlyTheImageIsLeftIn(TestStore t) =>
        Assert.Equal(new[] { "image.img" }, Directory.GetFiles(t.Work).Select(Path.GetFileName).Where(f => f != "block-cache").ToArray());

    [Fact]
    public async Task Blocks_are_restored_during_the_lock_wait_and_the_image_appears_only_under_the_lock()
    {
        var s = await VolumeWithBlocks(6);
        using var t = s.Store;
        string output = t.WorkFile("out.img");
        var probe = new OverlapProbe(t, s.Checksums.Distinct().Count(), output);

        var result = await RestoreAsync(probe.Store, s, output);

        Assert.False(probe.OutputExistedAtLockCheck);
        Assert.Equal(TestImages.Sha256(s.Image), TestImages.Sha256(output));
        Assert.Equal(6, result.BlocksRestored);
        Assert.Empty(t.LockFiles(Volume));
    }

    [Fact]
    public async Task A_deletion_lock_found_after_the_work_fails_with_LockConflict_and_leaves_nothing()
    {
        var s = await VolumeWithBlocks(6);
        using var t = s.Store;
        string planted = t.PlantLock(Volume, LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(5));
        string output = t.WorkFile("out.img");
        var probe = new OverlapProbe(t, s.Checksums.Distinct().Count(), output);

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => RestoreAsync(probe.Store, s, output));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Contains("restore", e.Message);
        Assert.Equal(6, probe.BlockReads);   // the work did run during the wait
        Assert.False(File.Exists(output));
        AssertOnlyTheImageIsLeftIn(t);
        Assert.Equal(new[] { planted }, t.LockFiles(Volume));
    }

    [Fact]
    public async Task A_lock_conflict_stops_the_work_at_once()
    {
        var s = await VolumeWithBlocks(12);
        using var t = s.Store;
        string planted = t.PlantLock(Volume, LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(5));
        // The lock's check waits until the first block is being read, and that read never ends unless the restore
        // gives it up: the restore can end only by stopping the work it is in the middle of when the conflict is found.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        int reads = 0;
        var held = t.Through(inner => new HookedStore(inner)
        {
            Hold = async (op, key, ct) =>
            {
                if (op != "Read" || !key.EndsWith(".blk", StringComparison.Ordinal)) return;
                Interlocked.Increment(ref reads);
                clock.Open();
                await Task.Delay(Timeout.Infinite, ct);
            },
        });
        string output = t.WorkFile("out.img");

        var restore = RestoreAsync(held, s, output, TestStore.FastLocks with { Clock = clock }, concurrency: 1);
        // Not a time window: the bound only keeps a restore that goes on waiting for its block from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => restore.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Equal(1, Volatile.Read(ref reads));   // the work was under way, and no block was read after the conflict
        AssertOnlyTheImageIsLeftIn(t);
        Assert.Equal(new[] { planted }, t.LockFiles(Volume));
    }

    /// <summary>
    /// The store for a restore whose lock's check waits for <paramref name="clock"/>: reads of every block but
    /// <paramref name="failing"/> are held until the work gives them up, and the check wait opens only then, once
    /// the work has failed on <paramref name="failing"/> by itself (nothing else can stop it while the check waits).
    /// </summary>
    private static Backupstore OpensTheCheckWhenTheWorkFails(TestStore t, GatedWaitClock clock, string failing) =>
        t.Through(inner => new HookedStore(inner)
        {
            Hold = async (op, key, ct) =>
            {
                if (op != "Read" || !key.EndsWith(".blk", StringComparison.Ordinal) || key.EndsWith(failing + ".blk", StringComparison.Ordinal)) return;
                try { await Task.Delay(Timeout.Infinite, ct); }
                finally { clock.Open(); }
            },
        });

    [Fact]
    public async Task A_missing_block_met_during_the_wait_reports_the_deletions_LockConflict()
    {
        // A running deletion explains a missing block better than the block itself ("run a full backup to repair").
        var s = await VolumeWithBlocks(4);
        using var t = s.Store;
        File.Delete(t.BlockFile(Volume, s.Checksums[1]));
        string planted = t.PlantLock(Volume, LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(5));
        // Two fetchers take the first two blocks: one read is held, the other finds block 1 missing and fails the
        // work, which gives the held read up; only then does the lock look, and find the deletion.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        var store = OpensTheCheckWhenTheWorkFails(t, clock, s.Checksums[1]);

        var restore = RestoreAsync(store, s, t.WorkFile("out.img"), TestStore.FastLocks with { Clock = clock }, concurrency: 2);
        // Not a time window: the bound only keeps a restore that never fails on its own from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => restore.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        AssertOnlyTheImageIsLeftIn(t);
        Assert.Equal(new[] { planted }, t.LockFiles(Volume));
    }

    [Fact]
    public async Task A_corrupt_block_met_during_the_wait_fails_with_ChecksumMismatch_once_the_lock_is_held_and_releases_it()
    {
        var s = await VolumeWithBlocks(4);
        using var t = s.Store;
        File.Copy(t.BlockFile(Volume, s.Checksums[0]), t.BlockFile(Volume, s.Checksums[2]), overwrite: true);
        // The lock's check waits until the corrupt block's last read (a block that fails its checksum is read again
        // before it fails the restore): the work meets it, again and again, while the lock is still being taken.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        int corruptReads = 0;
        var store = t.Through(inner => new HookedStore(inner)
        {
            Before = (op, key) =>
            {
                if (op == "Read" && key.EndsWith(s.Checksums[2] + ".blk", StringComparison.Ordinal) && Interlocked.Increment(ref corruptReads) == BlockVerifier.ReadAttempts)
                    clock.Open();
                return Task.CompletedTask;
            },
        });
        string output = t.WorkFile("out.img");

        var restore = RestoreAsync(store, s, output, TestStore.FastLocks with { Clock = clock });
        // Not a time window: the bound only keeps a restore that gives up on the block too soon from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => restore.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains(s.Checksums[2], e.Message);
        Assert.Equal(BlockVerifier.ReadAttempts, Volatile.Read(ref corruptReads));
        Assert.False(File.Exists(output));
        AssertOnlyTheImageIsLeftIn(t);
        Assert.Empty(t.LockFiles(Volume));
    }

    [Fact]
    public async Task A_device_is_written_only_under_the_lock_so_a_conflict_leaves_it_untouched()
    {
        // An existing path under /dev/ is written in place as a block device; a file in /dev/shm stands in for one.
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/dev/shm")) return;
        var s = await VolumeWithBlocks(4, holes: 2);
        using var t = s.Store;
        string device = $"/dev/shm/lhb-test-device-{Guid.NewGuid():N}";
        try
        {
            // Twice the backup's size: the restore covers the volume's size only and leaves the rest as it is.
            byte[] old = Enumerable.Repeat((byte)0xFF, 8 * B).ToArray();
            File.WriteAllBytes(device, old);
            string planted = t.PlantLock(Volume, LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(5));
            var probe = new OverlapProbe(t, s.Checksums.Distinct().Count(), device);

            var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
                new RestoreEngine(probe.Store, TestStore.FastLocks).RunAsync(new RestoreRequest
                {
                    VolumeName = Volume, BackupName = s.Backup, OutputPath = device, Overwrite = true,
                }, null, CancellationToken.None));
            Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
            Assert.Equal(3, probe.BlockReads);
            Assert.Equal(old, File.ReadAllBytes(device));

            File.Delete(planted);
            await new RestoreEngine(t.Store, TestStore.FastLocks).RunAsync(new RestoreRequest
            {
                VolumeName = Volume, BackupName = s.Backup, OutputPath = device, Overwrite = true,
            }, null, CancellationToken.None);
            byte[] written = File.ReadAllBytes(device);
            Assert.Equal(File.ReadAllBytes(s.Image), written[..(4 * B)]);
            Assert.False(written.AsSpan(2 * B, B).ContainsAnyExcept((byte)0), "the hole was not zeroed");
            Assert.All(written[(4 * B)..], b => Assert.Equal(0xFF, b));
            Assert.Empty(t.LockFiles(Volume));
        }
        finally
        {
            File.Delete(device);
        }
    }

    [Fact]
    public async Task Cancelling_during_the_wait_reports_OperationCancelled_and_leaves_nothing()
    {
        var s = await VolumeWithBlocks(4);
        using var t = s.Store;
        using var cts = new CancellationTokenSource();
        var cancelOnFirstBlock = t.Through(inner => new HookedStore(inner)
        {
            Before = (op, key) =>
            {
                if (op == "Read" && key.EndsWith(".blk", StringComparison.Ordinal)) cts.Cancel();
                return Task.CompletedTask;
            },
        });
        // The check wait never ends by itself: only the cancellation can end the restore.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);

        var restore = RestoreAsync(cancelOnFirstBlock, s, t.WorkFile("out.img"), TestStore.FastLocks with { Clock = clock }, ct: cts.Token);
        // Not a time window: the bound only keeps a restore that waits out its lock despite the cancel from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => restore.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.True(clock.Waiting.IsCompleted, "the restore was cancelled before its lock's check wait began");
        AssertOnlyTheImageIsLeftIn(t);
        Assert.Empty(t.LockFiles(Volume));
    }
}
