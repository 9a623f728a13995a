using System.Text;
using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// docs/backupstore-format.md §5.1: Longhorn's lock protocol. Other clients are simulated by lock files planted in the store, exactly as
/// Longhorn (or another process of this module) leaves them: their time is the file's modification time.
/// </summary>
public class LockTests
{
    private const int B = TestImages.Block;

    private static async Task<(TestStore Store, string Image, string Backup)> VolumeWithOneBackup(string volume = "vol-l")
    {
        var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * TestImages.MiB,
            (0, TestImages.RandomBytes(1)), (2 * B, TestImages.RandomBytes(2)));
        var r = await t.BackupAsync(volume, image);
        return (t, image, r.Backup.Name);
    }

    private static ObservedLock L(string name, LockType type, bool acquired, int secondsAgo) =>
        new(new LockFile(name, type, acquired), DateTimeOffset.UtcNow.AddSeconds(-secondsAgo));

    [Fact]
    public async Task Lock_file_is_longhorns_json_unacquired_while_checking_then_acquired_and_removed_on_release()
    {
        // Longhorn's own timings, but the 2 s check wait ends only when the test opens it: meanwhile the client is
        // waiting (it cannot go on before a wait of exactly Longhorn's 2 s has ended) and its lock file is unacquired.
        using var t = new TestStore();
        var clock = new GatedWaitClock(LockOptions.Default.CheckWait);
        var acquiring = VolumeLock.AcquireAsync(t.Store.Store, "vol-real", LockType.Deletion, "deletion", null,
            LockOptions.Default with { Clock = clock }, CancellationToken.None);

        // Not a time window: the bound only keeps a client that never waits its check wait from hanging the test.
        await Task.WhenAny(clock.Waiting, acquiring).Unwrap().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.False(acquiring.IsCompleted, "the lock was taken without waiting Longhorn's 2 s check wait");
        string file = Assert.Single(t.LockFiles("vol-real"));
        string name = Path.GetFileNameWithoutExtension(file);
        Assert.Matches(new Regex("^lock-[0-9a-f]{16}$"), name);
        Assert.Equal($"{{\"Name\":\"{name}\",\"Type\":2,\"Acquired\":false}}", Encoding.UTF8.GetString(File.ReadAllBytes(file)));
        clock.Open();

        await using (var held = await acquiring)
        {
            Assert.Equal(name, held.File.Name);
            Assert.Equal($"{{\"Name\":\"{name}\",\"Type\":2,\"Acquired\":true}}", Encoding.UTF8.GetString(File.ReadAllBytes(file)));
        }
        Assert.False(File.Exists(file));
        // Like Longhorn's file-system drivers: the emptied folders go too.
        Assert.False(Directory.Exists(t.VolumeDir("vol-real")));
    }

    [Fact]
    public async Task Backup_and_restore_with_longhorns_timings_take_and_release_a_type_1_lock()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(7)));
        using var source = Blocks.RawImageSource.Open(image);
        HookedStore? observer = null;
        var via = t.Through(s => observer = new HookedStore(s));

        var r = await new Backup.BackupEngine(via).RunAsync(
            new Backup.BackupRequest { VolumeName = "vol-t", SnapshotName = "s", Source = source }, null, CancellationToken.None);
        string output = t.WorkFile("out.img");
        await new Restore.RestoreEngine(via).RunAsync(
            new Restore.RestoreRequest { VolumeName = "vol-t", BackupName = r.Backup.Name, OutputPath = output }, null, CancellationToken.None);

        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(output));
        // Each run wrote its lock unacquired, then acquired, then deleted it; none is left.
        Assert.Equal(new[] { "1:False", "1:True", "1:False", "1:True" },
            observer!.Where("Write", ".lck").Select(c => LockFile.Parse(c.Data, c.Key)).Select(l => $"{(int)l.Type}:{l.Acquired}"));
        Assert.Equal(2, observer.Where("Delete", ".lck").Count());
        Assert.Empty(t.LockFiles("vol-t"));
    }

    [Fact]
    public async Task A_live_deletion_lock_makes_a_backup_fail_with_LockConflict_and_change_nothing()
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        string planted = t.PlantLock("vol-l", LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(30));
        string before = t.TreeState();

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-l", image, snapshot: "s2"));

        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("a deletion", e.Message);
        Assert.Contains(Path.GetFileNameWithoutExtension(planted), e.Message);
        Assert.Contains("-LockTimeout", e.RecommendedAction);
        Assert.Equal(before, t.TreeState());
    }

    [Fact]
    public async Task A_live_backup_lock_makes_a_deletion_fail_and_a_restore_is_not_blocked_by_it()
    {
        var (t, image, backup) = await VolumeWithOneBackup();
        using var _t = t;
        string planted = t.PlantLock("vol-l", LockType.BackupOrRestore, acquired: true, age: TimeSpan.FromSeconds(100));
        string before = t.TreeState();

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.DeleteBackupsAsync("vol-l", backup));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Contains("a backup or restore", e.Message);
        Assert.Equal(before, t.TreeState());

        var ve = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            new VolumeDeleter(t.Store, TestStore.FastLocks).DeleteAsync("vol-l", null, null, CancellationToken.None));
        Assert.Equal(ErrorIds.LockConflict, ve.ErrorId);
        Assert.Equal(before, t.TreeState());

        // Backups and restores share type 1: they run alongside the other backup.
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-l", backup)));
        Assert.True(File.Exists(planted));
    }

    [Fact]
    public async Task A_live_deletion_lock_makes_a_restore_fail()
    {
        var (t, _, backup) = await VolumeWithOneBackup();
        using var _t = t;
        t.PlantLock("vol-l", LockType.Deletion, acquired: false, age: TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-l", backup, t.WorkFile("r.img")));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Contains("restore", e.Message);
        Assert.False(File.Exists(t.WorkFile("r.img")));
    }

    [Theory]
    [InlineData(151, true)]    // older than LOCK_DURATION: its holder died; ignored
    [InlineData(600, true)]
    [InlineData(140, false)]   // still live
    public async Task A_stale_lock_older_than_150_s_is_ignored(int ageSeconds, bool ignored)
    {
        var (t, image, backup) = await VolumeWithOneBackup();
        using var _t = t;
        // The locks' ages are judged at one instant, the one they are planted against: a slow machine cannot age the
        // 140 s lock past 150 s before it is looked at.
        var now = DateTimeOffset.UtcNow;
        var locks = TestStore.FastLocks with { Clock = new FixedClock(now) };
        void PlantAged(LockType type) =>
            File.SetLastWriteTimeUtc(t.PlantLock("vol-l", type, acquired: true), (now - TimeSpan.FromSeconds(ageSeconds)).UtcDateTime);

        PlantAged(LockType.Deletion);
        if (ignored)
        {
            var r = await t.BackupAsync("vol-l", image, snapshot: "s2", locks: locks);
            Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-l", r.Backup.Name)));
        }
        else
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-l", image, snapshot: "s2", locks: locks));
            Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        }

        // The same holds for a deletion meeting a backup lock left by a dead process.
        PlantAged(LockType.BackupOrRestore);
        if (ignored) Assert.Equal(new[] { backup }, (await t.DeleteBackupsAsync("vol-l", new[] { backup }, locks: locks)).Deleted);
        else Assert.Equal(ErrorIds.LockConflict, (await Assert.ThrowsAsync<LonghornBackupException>(() => t.DeleteBackupsAsync("vol-l", new[] { backup }, locks: locks))).ErrorId);
    }

    /// <summary>The ways a lock file ends up unreadable: a torn write (empty or cut short), garbage, a read that fails.</summary>
    public static TheoryData<string> UnreadableKinds() => new() { "empty", "truncated", "garbage", "read-error" };

    /// <summary>
    /// Plants a lock file that cannot be read, <paramref name="age"/> old, and returns its key and the store to go
    /// through: for "read-error" every read of that key fails as a permission error or EIO would (StoreReadFailed).
    /// </summary>
    private static (string Key, string Path, Catalog.Backupstore Via) PlantUnreadableLock(TestStore t, string volume, string kind, TimeSpan age)
    {
        string path = t.PlantLock(volume, LockType.Deletion, acquired: true, age: age);
        string key = StorePaths.Lock(volume, Path.GetFileNameWithoutExtension(path));
        byte[] content = kind switch
        {
            "empty" => Array.Empty<byte>(),
            "truncated" => File.ReadAllBytes(path)[..20],
            "garbage" => new byte[] { 0x00, 0xFF, 0x13, 0x37 },
            _ => File.ReadAllBytes(path),
        };
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        var via = t.Through(s => new HookedStore(s)
        {
            Before = (operation, k) => kind == "read-error" && operation == "Read" && k == key
                ? throw new LonghornBackupException(ErrorIds.StoreReadFailed, ErrorKind.ReadError, $"Cannot read '{k}': Permission denied", k)
                : Task.CompletedTask,
        });
        return (key, path, via);
    }

    [Theory]
    [MemberData(nameof(UnreadableKinds))]
    public async Task An_unreadable_lock_younger_than_the_lease_is_a_conflict_for_every_operation(string kind)
    {
        // Its type is unknown: it may be any operation's, so it holds off backups and deletions alike until it is stale.
        var (t, image, backup) = await VolumeWithOneBackup();
        using var _t = t;
        var (key, path, via) = PlantUnreadableLock(t, "vol-l", kind, TimeSpan.FromSeconds(10));
        string before = t.TreeState();

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-l", image, snapshot: "s2", via: via));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Contains(key, e.Message);
        Assert.Contains("cannot be read", e.Message);
        Assert.Contains("-LockTimeout", e.RecommendedAction);
        var d = await Assert.ThrowsAsync<LonghornBackupException>(() => t.DeleteBackupsAsync("vol-l", new[] { backup }, via: via));
        Assert.Equal(ErrorIds.LockConflict, d.ErrorId);

        Assert.Equal(before, t.TreeState());
        Assert.True(File.Exists(path));
    }

    [Theory]
    [MemberData(nameof(UnreadableKinds))]
    public async Task An_unreadable_lock_older_than_the_lease_is_ignored_with_a_warning_naming_it_and_removed(string kind)
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        var (key, path, via) = PlantUnreadableLock(t, "vol-l", kind, TimeSpan.FromSeconds(200));
        var warnings = new List<string>();

        var r = await new Backup.BackupEngine(via, null, TestStore.FastLocks with { Warning = warnings.Add }).RunAsync(
            new Backup.BackupRequest { VolumeName = "vol-l", SnapshotName = "s2", Source = Blocks.RawImageSource.Open(image) }, null, CancellationToken.None);

        Assert.False(r.Backup.IsInProgress);
        var warning = Assert.Single(warnings);
        Assert.Contains(key, warning);
        Assert.Contains("ignored and removed", warning);
        Assert.False(File.Exists(path));
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-l", r.Backup.Name)));
    }

    [Fact]
    public async Task The_lock_that_removed_a_stale_unreadable_lock_names_it()
    {
        using var t = new TestStore();
        string path = t.PlantLock("vol-u", LockType.BackupOrRestore, acquired: true, age: TimeSpan.FromMinutes(10));
        File.WriteAllBytes(path, Array.Empty<byte>());
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-10));
        await using var held = await VolumeLock.AcquireAsync(t.Store.Store, "vol-u", LockType.Deletion, "deletion", null, TestStore.FastLocks, CancellationToken.None);
        var removed = Assert.Single(held.RemovedLocks);
        Assert.Equal(Path.GetFileNameWithoutExtension(path), removed.Name);
        Assert.Equal("it is empty", removed.Unreadable);
        Assert.Equal(new[] { held.Key }, t.LockFiles("vol-u").Select(f => Path.GetRelativePath(t.Root, f)));
    }

    [Fact]
    public async Task Waiting_outlasts_an_unreadable_lock_once_it_passes_the_lease()
    {
        // A 0-byte lock 100 s old blocks; the client waits (-LockTimeout) and, once the lock is past 150 s, goes ahead
        // with a warning. The clock moves 55 s forward at the second look, so no test waits 150 s.
        using var t = new TestStore();
        string path = t.PlantLock("vol-w", LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(100));
        File.WriteAllBytes(path, Array.Empty<byte>());
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(-100));
        var clock = new ShiftableClock();
        int looks = 0;
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (operation, key) =>
            {
                if (operation == "List" && key == StorePaths.LocksDir("vol-w") && Interlocked.Increment(ref looks) == 2)
                    clock.Offset = TimeSpan.FromSeconds(55);
                return Task.CompletedTask;
            },
        };
        var warnings = new List<string>();

        await using var held = await VolumeLock.AcquireAsync(hooked, "vol-w", LockType.BackupOrRestore, "backup", TimeSpan.FromHours(1),
            TestStore.FastLocks with { Clock = clock, Warning = warnings.Add }, CancellationToken.None);

        Assert.Equal(2, looks);   // the first look found it live and waited
        Assert.Contains("ignored and removed", Assert.Single(warnings));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task An_unreadable_lock_is_aged_by_the_stores_clock_not_this_machines()
    {
        // The store's clock is an hour behind ours. A torn lock written 10 s ago by the store's clock looks an hour
        // old to ours; it must still count as live, and a stale one (200 s by the store's clock) must still go.
        using var t = new TestStore();
        string young = t.PlantLock("vol-k", LockType.Deletion, acquired: true, age: TimeSpan.FromSeconds(10));
        File.WriteAllBytes(young, Array.Empty<byte>());
        File.SetLastWriteTimeUtc(young, DateTime.UtcNow.AddSeconds(-10));
        var behind = new SkewedStore(new Store.FileSystemStore(t.Root), TimeSpan.FromHours(-1));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            VolumeLock.AcquireAsync(behind, "vol-k", LockType.BackupOrRestore, "backup", null, TestStore.FastLocks, CancellationToken.None));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.True(File.Exists(young));

        File.SetLastWriteTimeUtc(young, DateTime.UtcNow.AddSeconds(-200));
        await using var held = await VolumeLock.AcquireAsync(behind, "vol-k", LockType.BackupOrRestore, "backup", null, TestStore.FastLocks, CancellationToken.None);
        Assert.False(File.Exists(young));
    }

    [Fact]
    public async Task A_folder_named_like_a_lock_is_not_a_lock_and_blocks_nothing()
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        Directory.CreateDirectory(Path.Combine(t.Root, StorePaths.Lock("vol-l", "lock-0123456789abcdef")));
        var r = await t.BackupAsync("vol-l", image, snapshot: "s2");
        Assert.False(r.Backup.IsInProgress);
    }

    [Fact]
    public async Task Waiting_with_a_timeout_goes_ahead_once_the_conflicting_lock_is_released()
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        string planted = t.PlantLock("vol-l", LockType.Deletion, acquired: true);
        // Looks at the locks folder: the backup's check for a running deletion, then one per look of its lock.
        var thirdLook = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int looks = 0;
        var via = t.Through(inner => new HookedStore(inner)
        {
            Before = (operation, key) =>
            {
                if (operation == "List" && key == StorePaths.LocksDir("vol-l") && Interlocked.Increment(ref looks) == 4) thirdLook.TrySetResult();
                return Task.CompletedTask;
            },
        });

        // The timeout is only a bound for a backup that never notices the release.
        var backup = t.BackupAsync("vol-l", image, snapshot: "s2", via: via, lockTimeout: TimeSpan.FromMinutes(2));
        // The backup found the deletion's lock three times and waits on: its waiting lock is in the store, no backup is added.
        await Task.WhenAny(thirdLook.Task, backup).Unwrap().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.False(backup.IsCompleted, "the backup stopped waiting while the deletion's lock was there");
        Assert.Equal(2, t.LockFiles("vol-l").Length);
        Assert.Single(await t.Store.ListBackupNamesAsync("vol-l", CancellationToken.None));

        File.Delete(planted);
        var r = await backup;
        Assert.False(r.Backup.IsInProgress);
        Assert.Empty(t.LockFiles("vol-l"));
    }

    [Fact]
    public async Task Waiting_gives_up_with_LockConflict_when_the_timeout_expires()
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        string planted = t.PlantLock("vol-l", LockType.Deletion, acquired: true);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol-l", image, snapshot: "s2", lockTimeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(ErrorIds.LockConflict, e.ErrorId);
        Assert.Contains("after waiting", e.Message);
        Assert.Equal(new[] { planted }, t.LockFiles("vol-l"));
    }

    [Fact]
    public async Task Cancelling_a_wait_removes_the_waiting_lock()
    {
        var (t, image, _) = await VolumeWithOneBackup();
        using var _t = t;
        string planted = t.PlantLock("vol-l", LockType.Deletion, acquired: true);
        // The wait between two looks never ends by itself: the backup is cancelled while in it, and only the cancel can end it.
        var clock = new GatedWaitClock(TestStore.FastLocks.RetryInterval);
        using var cts = new CancellationTokenSource();

        var backup = t.BackupAsync("vol-l", image, snapshot: "s2", lockTimeout: TimeSpan.FromMinutes(5), ct: cts.Token,
            locks: TestStore.FastLocks with { Clock = clock });
        // Not time windows: the bounds only keep a backup that never waits, or waits on despite the cancel, from hanging the test.
        await Task.WhenAny(clock.Waiting, backup).Unwrap().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(2, t.LockFiles("vol-l").Length);   // its own waiting lock and the deletion's
        cts.Cancel();
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => backup.WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.Equal(new[] { planted }, t.LockFiles("vol-l"));
    }

    [Fact]
    public async Task A_held_lock_is_renewed_so_it_never_looks_stale()
    {
        using var t = new TestStore();
        var options = TestStore.FastLocks with { RefreshInterval = TimeSpan.FromMilliseconds(50) };
        // The renewal awaited is a write of the lock file begun after the test made the file look 10 minutes old.
        int aged = 0, begunAfterAgeing = 0;
        var renewed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (operation, key) =>
            {
                if (operation == "Write" && key.EndsWith(".lck", StringComparison.Ordinal) && Volatile.Read(ref aged) == 1)
                    Volatile.Write(ref begunAfterAgeing, 1);
                return Task.CompletedTask;
            },
            AfterWrite = key =>
            {
                if (key.EndsWith(".lck", StringComparison.Ordinal) && Volatile.Read(ref begunAfterAgeing) == 1) renewed.TrySetResult();
            },
        };
        await using var held = await VolumeLock.AcquireAsync(hooked, "vol-r", LockType.BackupOrRestore, "backup", null, options, CancellationToken.None);
        string file = t.LockFiles("vol-r").Single();
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-10));
        Volatile.Write(ref aged, 1);

        // Not a time window: the bound only keeps a lock that is never renewed from hanging the test.
        try { await renewed.Task.WaitAsync(TimeSpan.FromMinutes(2)); }
        catch (TimeoutException) { Assert.Fail("the lock file was not rewritten"); }
        Assert.True(File.GetLastWriteTimeUtc(file) > DateTime.UtcNow.AddMinutes(-1), "the lock file's time was not renewed");
        Assert.Contains("\"Acquired\":true", File.ReadAllText(file));
    }

    [Fact]
    public async Task Of_two_clients_of_different_types_starting_together_exactly_one_gets_the_lock()
    {
        using var t = new TestStore();
        for (int round = 0; round < 5; round++)
        {
            // Both lock files are in the store before either client looks: their check wait ends only once both are
            // written, so each sees the other and the protocol's comparison alone decides.
            var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
            var options = TestStore.FastLocks with { Clock = clock };
            int written = 0;
            void OnWritten(string _) { if (Interlocked.Increment(ref written) == 2) clock.Open(); }
            var a = VolumeLock.AcquireAsync(t.Store.Store, "vol-race", LockType.BackupOrRestore, "backup", null, options, CancellationToken.None, OnWritten);
            var b = VolumeLock.AcquireAsync(t.Store.Store, "vol-race", LockType.Deletion, "deletion", null, options, CancellationToken.None, OnWritten);
            var outcomes = new List<VolumeLock>();
            int conflicts = 0;
            foreach (var task in new[] { a, b })
            {
                try { outcomes.Add(await task); }
                catch (LonghornBackupException e) when (e.ErrorId == ErrorIds.LockConflict) { conflicts++; }
            }
            Assert.Single(outcomes);
            Assert.Equal(1, conflicts);
            Assert.Single(t.LockFiles("vol-race"));
            await outcomes[0].ReleaseAsync();
            Assert.Empty(t.LockFiles("vol-race"));
        }
    }

    [Fact]
    public async Task A_lock_rewritten_as_acquired_while_it_is_read_is_seen_as_acquired_with_its_new_time()
    {
        // The race behind two clients both taking the lock: the other client wins and rewrites its file (acquired,
        // a later time) between our read of the content and our look at its time. Old content with the new time
        // makes its lock look weaker than ours; the listing must pair content and time of the same version.
        using var t = new TestStore();
        string key = StorePaths.Lock("vol-torn", "lock-1111111111111111");
        await t.Store.Store.WriteAsync(key, new LockFile("lock-1111111111111111", LockType.Deletion, false).ToJson(), CancellationToken.None);
        string path = Path.Combine(t.Root, key);
        var earlier = DateTime.UtcNow.AddSeconds(-30);
        File.SetLastWriteTimeUtc(path, earlier);

        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        int rewrites = 0;
        bool read = false;
        hooked.Before = (operation, k) =>
        {
            if (k != key) return Task.CompletedTask;
            if (operation == "Read") read = true;
            else if (operation == "Stat" && read && Interlocked.Exchange(ref rewrites, 1) == 0)
            {
                File.WriteAllBytes(path, new LockFile("lock-1111111111111111", LockType.Deletion, true).ToJson());
                File.SetLastWriteTimeUtc(path, earlier.AddSeconds(20));
            }
            return Task.CompletedTask;
        };

        var observed = Assert.Single(await VolumeLock.ListAsync(hooked, "vol-torn", CancellationToken.None));
        Assert.Equal(1, rewrites);
        Assert.True(observed.File.Acquired, "the content read before the rewrite was paired with the time after it");
        Assert.Equal(earlier.AddSeconds(20), observed.Time.UtcDateTime, TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Priority_is_acquired_first_then_earlier_time_then_smaller_name()
    {
        var own = L("lock-5555555555555555", LockType.Deletion, false, 10);
        // An acquired lock beats an unacquired one even when it is newer.
        Assert.NotNull(LockRules.FindBlocker(own, new[] { L("lock-9999999999999999", LockType.BackupOrRestore, true, 1) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
        // Between unacquired locks the earlier one wins.
        Assert.NotNull(LockRules.FindBlocker(own, new[] { L("lock-9999999999999999", LockType.BackupOrRestore, false, 20) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
        Assert.Null(LockRules.FindBlocker(own, new[] { L("lock-0000000000000000", LockType.BackupOrRestore, false, 5) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
        // At the same time, the smaller name wins.
        var at = DateTimeOffset.UtcNow;
        var mine = new ObservedLock(new LockFile("lock-5555555555555555", LockType.Deletion, false), at);
        Assert.NotNull(LockRules.FindBlocker(mine, new[] { new ObservedLock(new LockFile("lock-1111111111111111", LockType.BackupOrRestore, false), at) }, at, TimeSpan.FromSeconds(150)));
        Assert.Null(LockRules.FindBlocker(mine, new[] { new ObservedLock(new LockFile("lock-9999999999999999", LockType.BackupOrRestore, false), at) }, at, TimeSpan.FromSeconds(150)));
        // Locks of the same type never conflict; untyped ones conflict with both types.
        Assert.Null(LockRules.FindBlocker(own, new[] { L("lock-0000000000000000", LockType.Deletion, true, 1) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
        Assert.NotNull(LockRules.FindBlocker(own, new[] { L("lock-0000000000000000", LockType.Untyped, true, 1) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
        // Expired locks are ignored.
        Assert.Null(LockRules.FindBlocker(own, new[] { L("lock-0000000000000000", LockType.BackupOrRestore, true, 151) }, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(150)));
    }

    [Fact]
    public void Lock_json_is_read_leniently_like_gos_decoder()
    {
        var l = LockFile.Parse("{\"name\":\"lock-0123456789abcdef\",\"type\":2,\"acquired\":true,\"extra\":1}"u8, "x");
        Assert.Equal(new LockFile("lock-0123456789abcdef", LockType.Deletion, true), l);
        Assert.Equal(ErrorIds.CorruptConfig, Assert.Throws<LonghornBackupException>(() => LockFile.Parse("[]"u8, "x")).ErrorId);
    }
}
