using System.Runtime.CompilerServices;
using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// On a store whose writes are not atomic (s3rver writes a PUT's body into the final object as it arrives; some
/// NAS-backed S3 gateways do the same), a backup killed in the middle of a block leaves that block torn under its
/// name. No later backup may trust it, and no backup may tear a block that earlier backups use.
/// </summary>
public class TornObjectTests
{
    private const int B = TestImages.Block;

    /// <summary>
    /// A store that does not replace objects atomically. <see cref="TearWhen"/> picks a write to cut short: the first
    /// half of its bytes land under the key, and from then on every call fails, as if the process had been killed.
    /// </summary>
    private sealed class TearingStore(IObjectStore inner) : IObjectStore
    {
        private volatile bool _dead;
        private int _writes;

        /// <summary>Given the key and the index of the write (from 1), whether to tear it.</summary>
        public Func<string, int, bool>? TearWhen { get; init; }
        public string? TornKey { get; private set; }
        public List<string> Written { get; } = new();

        public string Location => inner.Location;
        public bool ReplacesAtomically => false;

        private void ThrowIfDead(string key)
        {
            if (_dead) throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, $"killed (at '{key}')", key);
        }

        public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            ThrowIfDead(key);
            int index = Interlocked.Increment(ref _writes);
            if (TearWhen?.Invoke(key, index) == true)
            {
                _dead = true;
                TornKey = key;
                await inner.WriteAsync(key, data[..(data.Length / 2)], ct);
                ThrowIfDead(key);
            }
            await inner.WriteAsync(key, data, ct);
            lock (Written) Written.Add(key);
        }

        public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) { ThrowIfDead(directory); return inner.ListAsync(directory, ct); }

        public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
        {
            ThrowIfDead(directory);
            await foreach (var o in inner.ListTreeAsync(directory, ct)) yield return o;
        }

        public Task<byte[]?> ReadAsync(string key, CancellationToken ct) { ThrowIfDead(key); return inner.ReadAsync(key, ct); }
        public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) { ThrowIfDead(key); return inner.StatAsync(key, ct); }
        public Task DeleteAsync(string key, CancellationToken ct) { ThrowIfDead(key); return inner.DeleteAsync(key, ct); }
        public Task DeleteTreeAsync(string directory, CancellationToken ct) { ThrowIfDead(directory); return inner.DeleteTreeAsync(directory, ct); }
    }

    private static string Image(TestStore t, int seed, int blocks = 8) =>
        TestImages.Create(t.WorkFile($"image-{seed}.img"), 8 * B,
            Enumerable.Range(0, blocks).Select(i => ((long)i * B, TestImages.RandomBytes(seed * 100 + i))).ToArray());

    private static bool IsBlock(string key) => key.EndsWith(".blk", StringComparison.Ordinal);

    /// <summary>Lock files a killed run left behind, aged past Longhorn's expiry: its owner is known dead.</summary>
    private static void AgeLocks(TestStore t, string volume)
    {
        foreach (var f in t.LockFiles(volume)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-10));
    }

    private static string[] InFlightFiles(TestStore t, string volume)
    {
        string dir = Path.Combine(t.Root, StorePaths.InFlightDir(volume));
        return Directory.Exists(dir) ? Directory.GetFiles(dir) : Array.Empty<string>();
    }

    private static async Task AssertDeepHealthyAsync(TestStore t, string volume)
    {
        var check = await t.VerifyAsync(volume, deep: true);
        Assert.Empty(check.Problems);
        // A killed run's in-progress cfg stays until it is cleaned up; every completed backup is whole.
        Assert.All(check.Backups, b => Assert.Contains(b.Health, new[] { BackupHealth.Healthy, BackupHealth.InProgress }));
        Assert.Contains(check.Backups, b => b.Health == BackupHealth.Healthy);
    }

    [Fact]
    public async Task A_block_torn_by_a_killed_backup_is_verified_and_sent_again_by_the_next_one()
    {
        using var t = new TestStore();
        string first = Image(t, 1);
        await t.BackupAsync("vol", first, snapshot: "s1");
        string second = Image(t, 2);

        // The second backup is killed halfway through its third block: that block is torn under its final name.
        var killed = new TearingStore(new FileSystemStore(t.Root)) { TearWhen = (key, _) => IsBlock(key) && Interlocked.Increment(ref _blocks) == 3 };
        await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol", second, snapshot: "s2", via: new(killed, t.Url), useChangeCache: false));
        Assert.NotNull(killed.TornKey);
        Assert.True(new FileInfo(Path.Combine(t.Root, killed.TornKey!)).Length > 0, "the torn block is in the store");
        Assert.NotEmpty(InFlightFiles(t, "vol"));

        // The next incremental finds the torn block listed, but does not trust it: it reads it back and sends it again.
        AgeLocks(t, "vol");
        var next = await t.BackupAsync("vol", second, snapshot: "s2", via: t.Through(s => new TearingStore(s)), useChangeCache: false);
        Assert.True(next.Counters.BlocksVerifiedInStore >= 1, "the blocks the killed run sent were read back");
        Assert.Equal(TestImages.Sha256(second), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", next.Backup.Name)));
        await AssertDeepHealthyAsync(t, "vol");
        // Its records and the dead run's (each of whose blocks is now verified or sent again) are gone.
        Assert.Empty(InFlightFiles(t, "vol"));
    }

    private int _blocks;

    [Fact]
    public async Task A_killed_full_backup_on_a_store_without_atomic_writes_never_tears_a_block_earlier_backups_use()
    {
        using var t = new TestStore();
        string image = Image(t, 3);
        var first = await t.BackupAsync("vol", image, snapshot: "s1");

        // A full backup of the same data: it would overwrite every block the first backup uses. Killed at its first
        // block write, it would leave that block torn under the first backup.
        var killed = new TearingStore(new FileSystemStore(t.Root)) { TearWhen = (key, _) => IsBlock(key) };
        var full = await t.BackupAsync("vol", image, snapshot: "s2", mode: BackupMode.Full, via: new(killed, t.Url));

        // It read every block back instead, found each whole, and sent none.
        Assert.Null(killed.TornKey);
        Assert.DoesNotContain(killed.Written, IsBlock);
        Assert.Equal(8, full.Counters.BlocksVerifiedInStore);
        Assert.Equal(0, full.Backup.ReUploadedDataSize);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", first.Backup.Name)));
        await AssertDeepHealthyAsync(t, "vol");
    }

    [Fact]
    public async Task A_full_backup_on_a_store_without_atomic_writes_still_repairs_a_corrupt_block()
    {
        using var t = new TestStore();
        string image = Image(t, 4);
        var first = await t.BackupAsync("vol", image, snapshot: "s1");
        string damaged = first.Backup.Blocks[5].BlockChecksum;
        t.CorruptBlock("vol", damaged);

        var full = await t.BackupAsync("vol", image, snapshot: "s2", mode: BackupMode.Full, via: t.Through(s => new TearingStore(s)));

        Assert.Equal(7, full.Counters.BlocksVerifiedInStore);
        Assert.Equal(1, full.Counters.ReUploadedBlocks);
        Assert.Equal(new FileInfo(t.BlockFile("vol", damaged)).Length, full.Backup.ReUploadedDataSize);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", first.Backup.Name)));
        await AssertDeepHealthyAsync(t, "vol");
    }

    [Fact]
    public async Task A_full_backup_on_a_store_with_atomic_writes_overwrites_every_block_as_Longhorn_does()
    {
        using var t = new TestStore();
        string image = Image(t, 5);
        await t.BackupAsync("vol", image, snapshot: "s1");

        var full = await t.BackupAsync("vol", image, snapshot: "s2", mode: BackupMode.Full);

        Assert.Equal(0, full.Counters.BlocksVerifiedInStore);
        Assert.Equal(8, full.Counters.ReUploadedBlocks);
    }

    [Fact]
    public async Task No_block_is_sent_before_a_record_naming_it_is_in_the_store()
    {
        using var t = new TestStore();
        string image = Image(t, 6);
        var hooked = new HookedStore(new FileSystemStore(t.Root));
        var result = await t.BackupAsync("vol", image, via: new(hooked, t.Url), concurrency: 4);

        var calls = hooked.Calls.ToList();
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        int blockWrites = 0;
        foreach (var call in calls.Where(c => c.Operation == "Write"))
        {
            if (call.Key.EndsWith(".inflight", StringComparison.Ordinal))
            {
                var record = InFlightRecord.TryParse(call.Data);
                Assert.NotNull(record);
                Assert.Equal(result.Backup.Name, record!.BackupName);
                recorded.UnionWith(record.Blocks);
            }
            else if (IsBlock(call.Key))
            {
                blockWrites++;
                Assert.Contains(Path.GetFileNameWithoutExtension(call.Key), recorded);
            }
        }
        Assert.Equal(8, blockWrites);
        // Records go in batches, not one per block; and the run removed its own once committed.
        Assert.InRange(calls.Count(c => c.Operation == "Write" && c.Key.EndsWith(".inflight", StringComparison.Ordinal)), 1, 8);
        Assert.Empty(InFlightFiles(t, "vol"));
    }

    [Fact]
    public async Task A_record_torn_while_it_was_written_is_ignored_and_removed_once_old()
    {
        using var t = new TestStore();
        string image = Image(t, 7);
        var killed = new TearingStore(new FileSystemStore(t.Root)) { TearWhen = (key, _) => key.EndsWith(".inflight", StringComparison.Ordinal) };
        await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol", image, via: new(killed, t.Url)));
        Assert.DoesNotContain(killed.Written, IsBlock);   // no block goes out before its record is whole
        var torn = Assert.Single(InFlightFiles(t, "vol"));
        Assert.Null(InFlightRecord.TryParse(File.ReadAllBytes(torn)));

        // A young torn record may be one being written right now: it stays.
        var next = await t.BackupAsync("vol", image, via: t.Through(s => new TearingStore(s)));
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", next.Backup.Name)));
        Assert.True(File.Exists(torn));

        // Once older than a lock's expiry it is a dead run's, and goes with the next backup.
        File.SetLastWriteTimeUtc(torn, DateTime.UtcNow.AddMinutes(-10));
        await t.BackupAsync("vol", image, snapshot: "s3");
        Assert.False(File.Exists(torn));
    }

    [Fact]
    public async Task A_block_named_by_a_live_run_is_verified_and_its_record_kept()
    {
        using var t = new TestStore();
        string image = Image(t, 8);
        var first = await t.BackupAsync("vol", image, snapshot: "s1");
        // Another client (alive: its lock is fresh) is sending the block at offset 0 again, and has recorded it.
        string checksum = first.Backup.Blocks[0].BlockChecksum;
        string owner = Path.GetFileNameWithoutExtension(t.PlantLock("vol", Locking.LockType.BackupOrRestore, acquired: true));
        string record = Path.Combine(t.Root, StorePaths.InFlightRecord("vol", "backup-other", 1));
        Directory.CreateDirectory(Path.GetDirectoryName(record)!);
        File.WriteAllBytes(record, new InFlightRecord("backup-other", owner, TestImages.Block, "lz4", new[] { checksum }).ToJson());

        var next = await t.BackupAsync("vol", image, snapshot: "s2");
        Assert.Equal(1, next.Counters.BlocksVerifiedInStore);
        Assert.Equal(0, next.Counters.BlocksUploaded);
        Assert.True(File.Exists(record), "a live run's record is its own to remove");
    }

    [Fact]
    public async Task BlockCount_is_what_the_pool_holds_after_two_full_backups_of_the_same_data_side_by_side()
    {
        using var t = new TestStore();
        await t.BackupAsync("vol", Image(t, 9), snapshot: "s0");
        string image = Image(t, 10);

        // Backup A lists the pool, then is held at its first block until backup B of the same data has finished:
        // both found every block new, and both stored all eight.
        var aAtFirstBlock = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new HookedStore(new FileSystemStore(t.Root));
        held.Before = async (op, key) =>
        {
            if (op != "Write" || !IsBlock(key)) return;
            aAtFirstBlock.TrySetResult();
            await bDone.Task;
        };
        var runA = t.BackupAsync("vol", image, snapshot: "s1", mode: BackupMode.Full, via: new(held, t.Url));
        await Task.WhenAny(aAtFirstBlock.Task, runA);
        Assert.False(runA.IsCompleted, $"backup A ended before its first block: {runA.Exception?.InnerException?.Message}");
        var b = await t.BackupAsync("vol", image, snapshot: "s2", mode: BackupMode.Full);
        bDone.SetResult();
        var a = await runA;

        Assert.Equal(8, a.Counters.NewBlocks);
        Assert.Equal(8, b.Counters.NewBlocks);
        Assert.Equal(16, t.BlockFiles("vol").Length);
        Assert.Equal(16, t.ReadVolumeCfg("vol").BlockCount);
    }

    [Fact]
    public async Task A_repair_deletes_the_blocks_a_dead_run_tore_and_then_its_records()
    {
        using var t = new TestStore();
        string image = Image(t, 12);
        var first = await t.BackupAsync("vol", image, snapshot: "s1");
        string second = Image(t, 13);
        int blocks = 0;
        var killed = new TearingStore(new FileSystemStore(t.Root)) { TearWhen = (key, _) => IsBlock(key) && Interlocked.Increment(ref blocks) == 4 };
        await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol", second, snapshot: "s2", via: new(killed, t.Url), useChangeCache: false));
        string torn = Path.Combine(t.Root, killed.TornKey!);
        var whole = killed.Written.Where(IsBlock).Select(k => Path.Combine(t.Root, k)).ToList();
        Assert.True(whole.Count >= 3, "the three blocks before the torn one were stored whole");   // uploads run side by side
        AgeLocks(t, "vol");

        var r = await new VolumeRepairer(t.Store, TestStore.FastLocks).RepairAsync("vol",
            new LeftoverCleanup { InProgressOlderThan = TimeSpan.Zero }, collectGarbage: false, null, null, CancellationToken.None);

        Assert.Contains(r.Leftovers.Removed, l => l.Kind == "InFlightRecord");
        Assert.Empty(InFlightFiles(t, "vol"));
        Assert.False(File.Exists(torn), "the torn block was deleted before its record");
        Assert.All(whole, f => Assert.True(File.Exists(f), $"{f} is whole and stays"));
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", first.Backup.Name)));
        // With the record gone, the next backup has nothing left to distrust, and sends what the store lacks.
        var next = await t.BackupAsync("vol", second, snapshot: "s3");
        Assert.Equal(0, next.Counters.BlocksVerifiedInStore);
        Assert.Equal(TestImages.Sha256(second), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", next.Backup.Name)));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("{", true)]
    [InlineData("{\"Name\":\"backup-1\",\"Blocks\":[{\"Offset\":0,\"BlockCheck", true)]
    [InlineData("{\"Name\":\"backup-1\"}", false)]
    [InlineData("{\"Name\":\"backup-1\"}  ", false)]
    [InlineData("not json at all", false)]
    [InlineData("{\"Name\":]", false)]
    public void A_cfg_is_cut_short_when_it_is_empty_or_stops_inside_its_JSON(string text, bool cutShort) =>
        Assert.Equal(cutShort, TornBackupKind.IsCutShort(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task A_repair_removes_a_cfg_cut_short_by_a_kill_once_old_and_leaves_other_unreadable_ones()
    {
        using var t = new TestStore();
        string image = Image(t, 14);
        var first = await t.BackupAsync("vol", image, snapshot: "s1");
        var second = await t.BackupAsync("vol", Image(t, 15), snapshot: "s2");
        byte[] full = File.ReadAllBytes(t.BackupCfgFile("vol", second.Backup.Name));
        File.WriteAllBytes(t.BackupCfgFile("vol", second.Backup.Name), full[..(full.Length / 3)]);   // cut short
        string young = t.BackupCfgFile("vol", "backup-00000000000000aa");
        File.WriteAllBytes(young, full[..10]);
        string foreign = t.BackupCfgFile("vol", "backup-00000000000000bb");
        File.WriteAllText(foreign, "this is not JSON");
        File.SetLastWriteTimeUtc(t.BackupCfgFile("vol", second.Backup.Name), DateTime.UtcNow.AddDays(-2));
        File.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddDays(-2));

        var r = await new VolumeRepairer(t.Store, TestStore.FastLocks).RepairAsync("vol", new LeftoverCleanup(), collectGarbage: false,
            null, null, CancellationToken.None);

        Assert.Equal(new[] { $"TornBackup {second.Backup.Name}" }, r.Leftovers.Removed.Select(l => $"{l.Kind} {l.Name}"));
        Assert.False(File.Exists(t.BackupCfgFile("vol", second.Backup.Name)));
        Assert.True(File.Exists(young), "a young one may be being written");
        Assert.True(File.Exists(foreign), "complete text that is not a cfg is not a torn write");
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", first.Backup.Name)));
    }
}
