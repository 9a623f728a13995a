using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// What interrupted runs leave (an in-progress cfg that stops garbage collection for ever, stale locks, temporary files)
/// and how removals and Repair-LhBackupVolume's engine clear it away, on a folder target whose file times a test sets.
/// The same repair on every driver: EngineOnTargetTests.
/// </summary>
public class LeftoverTests
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    private sealed record Scene(TestStore T, string Image, BackupConfig First, BackupConfig Second, string SecondSha, string Dead) : IDisposable
    {
        public void Dispose() => T.Dispose();
    }

    /// <summary>Two finished backups of vol-d and a third that died after storing one block of new data.</summary>
    private static async Task<Scene> KilledBackupAsync()
    {
        var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * TestImages.MiB, (0, TestImages.RandomBytes(1)), (B, TestImages.RandomBytes(2)));
        var first = await t.BackupAsync("vol-d", image, snapshot: "s1");
        TestImages.Write(image, B, TestImages.RandomBytes(3));
        var second = await t.BackupAsync("vol-d", image, snapshot: "s2");
        string sha = TestImages.Sha256(image);
        TestImages.Write(image, 0, TestImages.RandomBytes(4));
        TestImages.Write(image, 3 * B, TestImages.RandomBytes(5));
        string dead = await DyingStore.KilledBackupAsync(t.Store, "vol-d", image, "s3");
        return new Scene(t, image, first.Backup, second.Backup, sha, dead);
    }

    /// <summary>Sets every file of the volume <paramref name="age"/> into the past, as the time the dead run left them.</summary>
    private static void Age(TestStore t, string volume, TimeSpan age)
    {
        foreach (var f in Directory.EnumerateFiles(t.VolumeDir(volume), "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(f, DateTime.UtcNow - age);
    }

    /// <summary>A temporary file of a write that never reached its rename, next to the key it was for.</summary>
    private static string PlantTemporary(TestStore t, string key)
    {
        string path = Path.Combine(t.Root, key) + ".tmp.1767225600000000000123456";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[1000]);
        return path;
    }

    private static HashSet<string> Stored(TestStore t, string volume) =>
        t.BlockFiles(volume).Select(Path.GetFileNameWithoutExtension).ToHashSet()!;

    private static HashSet<string> BlocksOf(params BackupConfig[] backups) =>
        backups.SelectMany(b => b.Blocks.Select(m => m.BlockChecksum)).ToHashSet();

    private static BackupDeleter Deleter(TestStore t, LeftoverCleanup? cleanup, Backupstore? via = null) =>
        new(via ?? t.Store, TestStore.FastLocks) { Cleanup = cleanup };

    [Fact]
    public async Task A_removal_with_the_cleanup_clears_a_dead_runs_leftovers_and_frees_exactly_its_blocks()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        string blockTemp = PlantTemporary(t, StorePaths.Block("vol-d", s.Second.Blocks[0].BlockChecksum));
        string cfgTemp = PlantTemporary(t, StorePaths.VolumeConfig("vol-d"));
        string deadLock = Assert.Single(t.LockFiles("vol-d"));
        Age(t, "vol-d", TimeSpan.FromDays(2));
        Assert.False((await Deleter(t, null).DeleteAsync("vol-d", new[] { s.First.Name }, null, null, None)).BlocksCollected);

        var r = await Deleter(t, new LeftoverCleanup()).DeleteAsync("vol-d", Array.Empty<string>(), null, null, None);

        Assert.Equal(new[] { $"InProgressBackup {s.Dead}", $"InFlightRecord {s.Dead}.000001.inflight", $"Lock {Path.GetFileNameWithoutExtension(deadLock)}", $"TemporaryFile {Path.GetFileName(blockTemp)}", $"TemporaryFile {Path.GetFileName(cfgTemp)}" }.Order(),
            r.Leftovers.Removed.Select(l => $"{l.Kind} {l.Name}").Order());
        Assert.All(r.Leftovers.Removed, l => Assert.InRange(l.Age, TimeSpan.FromDays(2) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(2) + TimeSpan.FromMinutes(5)));
        Assert.Empty(r.Leftovers.Errors);
        Assert.True(r.BlocksCollected);
        Assert.Equal(BlocksOf(s.Second), Stored(t, "vol-d"));
        Assert.False(File.Exists(blockTemp) || File.Exists(cfgTemp));
        Assert.Empty(t.LockFiles("vol-d"));
        Assert.Equal(new[] { s.Second.Name }, await t.Store.ListBackupNamesAsync("vol-d", None));
        Assert.Equal(s.SecondSha, TestImages.Sha256(await t.RestoreToNewFileAsync("vol-d", s.Second.Name)));
    }

    [Fact]
    public async Task Removing_a_backup_clears_the_leftovers_in_the_same_pass()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        Age(t, "vol-d", TimeSpan.FromDays(2));
        var r = await Deleter(t, new LeftoverCleanup()).DeleteAsync("vol-d", new[] { s.First.Name }, null, null, None);
        Assert.Equal(new[] { s.First.Name }, r.Deleted);
        Assert.Contains(r.Leftovers.Removed, l => l.Kind == "InProgressBackup" && l.Name == s.Dead);
        Assert.True(r.BlocksCollected);
        Assert.Equal(BlocksOf(s.Second), Stored(t, "vol-d"));
    }

    [Fact]
    public async Task Without_old_leftovers_a_removal_of_nothing_takes_no_lock_and_changes_nothing()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        Age(t, "vol-d", TimeSpan.FromHours(2));   // younger than the default day
        string before = t.TreeState();
        HookedStore? hooked = null;
        var via = t.Through(st => hooked = new HookedStore(st));

        var r = await Deleter(t, new LeftoverCleanup(), via).DeleteAsync("vol-d", Array.Empty<string>(), null, null, None);

        Assert.Empty(r.Leftovers.Removed);
        Assert.Empty(hooked!.Where("Write", ".lck"));
        Assert.Equal(before, t.TreeState());
    }

    [Fact]
    public async Task An_in_progress_backup_younger_than_the_limit_stays_and_the_limit_is_the_callers()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        string temp = PlantTemporary(t, StorePaths.VolumeConfig("vol-d"));
        Age(t, "vol-d", TimeSpan.FromHours(2));

        var young = await new VolumeRepairer(t.Store, TestStore.FastLocks).RepairAsync("vol-d", new LeftoverCleanup(), true, null, null, None);
        // The lock is past the 150 s lease, whatever the limit, and so the records of the blocks its run was sending go.
        Assert.Equal(new[] { "InFlightRecord", "Lock" }, young.Leftovers.Removed.Select(l => l.Kind));
        Assert.False(young.BlocksCollected);
        Assert.Contains(s.Dead, young.CollectionSkippedReason);
        Assert.True(File.Exists(t.BackupCfgFile("vol-d", s.Dead)) && File.Exists(temp));

        var old = await new VolumeRepairer(t.Store, TestStore.FastLocks).RepairAsync("vol-d",
            new LeftoverCleanup { InProgressOlderThan = TimeSpan.FromHours(1) }, true, null, null, None);
        Assert.Equal(new[] { "InProgressBackup", "TemporaryFile" }, old.Leftovers.Removed.Select(l => l.Kind));
        Assert.True(old.BlocksCollected);
        Assert.Equal(BlocksOf(s.First, s.Second), Stored(t, "vol-d"));
    }

    [Fact]
    public async Task A_live_backups_in_progress_cfg_is_never_removed_however_old_it_looks()
    {
        // A backup that is still running holds its backup lock and renews it: the deletion lock is never granted, so
        // neither a repair nor a removal's cleanup can touch its cfg, even when the cfg looks days old (a long backup).
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * TestImages.MiB, (0, TestImages.RandomBytes(1)), (B, TestImages.RandomBytes(2)));
        var first = await t.BackupAsync("vol-live", image, snapshot: "s1");
        TestImages.Write(image, 0, TestImages.RandomBytes(9));

        var lockHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blockReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var via = t.Through(st => new HookedStore(st)
        {
            Before = async (operation, key) =>
            {
                if (operation != "Write") return;
                if (key.EndsWith(".lck", StringComparison.Ordinal) && File.Exists(Path.Combine(t.Root, key))) lockHeld.TrySetResult();
                if (key.EndsWith(".blk", StringComparison.Ordinal)) { blockReached.TrySetResult(); await release.Task; }
            },
        });
        var live = t.BackupAsync("vol-live", image, snapshot: "s2", via: via);
        await Task.WhenAll(lockHeld.Task, blockReached.Task);
        string cfg = StorePaths.BackupConfig("vol-live", Assert.Single(await t.Store.ListBackupNamesAsync("vol-live", None), n => n != first.Backup.Name));
        var aged = new SkewedStore(new Store.FileSystemStore(t.Root));
        aged.Aged[cfg] = TimeSpan.FromDays(3);
        var store = new Backupstore(aged, t.Url);

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            new VolumeRepairer(store, TestStore.FastLocks).RepairAsync("vol-live", new LeftoverCleanup(), true, null, null, None));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        var r = await Deleter(t, new LeftoverCleanup(), store).DeleteAsync("vol-live", Array.Empty<string>(), null, null, None);
        Assert.Contains("not removed this time", Assert.Single(r.Warnings));
        Assert.True(File.Exists(Path.Combine(t.Root, cfg)));

        release.SetResult();
        var done = await live;
        Assert.False(done.Backup.IsInProgress);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-live", done.Backup.Name)));
    }

    [Fact]
    public async Task Finding_leftovers_without_the_lock_lists_them_and_changes_nothing()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        PlantTemporary(t, StorePaths.VolumeConfig("vol-d"));
        Age(t, "vol-d", TimeSpan.FromDays(2));
        string before = t.TreeState();
        HookedStore? hooked = null;
        var via = t.Through(st => hooked = new HookedStore(st));

        var found = await new VolumeRepairer(via, TestStore.FastLocks).FindAsync("vol-d", new LeftoverCleanup(), None);

        Assert.Equal(new[] { "InProgressBackup", "InFlightRecord", "Lock", "TemporaryFile" }, found.Select(l => l.Kind));
        Assert.Equal(s.Dead, found[0].Name);
        Assert.Equal(new FileInfo(t.BackupCfgFile("vol-d", s.Dead)).Length, found[0].Size);
        Assert.DoesNotContain(hooked!.Calls, c => c.Operation is "Write" or "Delete" or "DeleteTree");
        Assert.Equal(before, t.TreeState());
    }

    [Fact]
    public async Task Only_confirmed_leftovers_go()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        Age(t, "vol-d", TimeSpan.FromDays(2));
        var r = await new VolumeRepairer(t.Store, TestStore.FastLocks).RepairAsync("vol-d",
            new LeftoverCleanup { Approve = l => l.Kind == "Lock" }, true, null, null, None);
        Assert.Equal(new[] { "Lock" }, r.Leftovers.Removed.Select(l => l.Kind));
        Assert.Equal(new[] { "InProgressBackup", "InFlightRecord" }, r.Leftovers.NotConfirmed.Select(l => l.Kind));
        Assert.Equal(s.Dead, r.Leftovers.NotConfirmed[0].Name);
        Assert.True(File.Exists(t.BackupCfgFile("vol-d", s.Dead)));
        Assert.False(r.BlocksCollected);
    }

    [Fact]
    public async Task A_leftover_that_cannot_be_removed_is_an_error_naming_it_and_the_others_still_go()
    {
        using var s = await KilledBackupAsync();
        var t = s.T;
        Age(t, "vol-d", TimeSpan.FromDays(2));
        string key = StorePaths.BackupConfig("vol-d", s.Dead);
        var via = t.Through(st => new HookedStore(st)
        {
            Before = (operation, k) => operation == "Delete" && k == key
                ? throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, $"Cannot delete '{k}': Permission denied", k)
                : Task.CompletedTask,
        });

        var r = await new VolumeRepairer(via, TestStore.FastLocks).RepairAsync("vol-d", new LeftoverCleanup(), true, null, null, None);

        var error = Assert.Single(r.Leftovers.Errors);
        Assert.Equal(ErrorIds.StoreWriteFailed, error.ErrorId);
        Assert.Contains($"in-progress backup '{s.Dead}'", error.Message);
        Assert.Contains("Permission denied", error.Message);
        Assert.Equal(key, error.TargetObject);
        Assert.Equal(new[] { "InFlightRecord", "Lock" }, r.Leftovers.Removed.Select(l => l.Kind));
        Assert.False(r.BlocksCollected);   // the dead run's cfg is still there
    }

    [Fact]
    public async Task A_volume_that_does_not_exist_is_BackupVolumeNotFound()
    {
        using var t = new TestStore();
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => new VolumeRepairer(t.Store).FindAsync("nosuch", new LeftoverCleanup(), None));
        Assert.Equal(ErrorIds.BackupVolumeNotFound, e.ErrorId);
    }
}
