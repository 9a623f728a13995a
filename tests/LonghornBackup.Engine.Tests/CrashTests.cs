using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// docs/backupstore-format.md §4.1/§4.5: a backup that dies part-way (network failure, crash) never damages earlier backups, and a rerun
/// completes it, reusing the blocks the failed run stored.
/// </summary>
public class CrashTests
{
    private const int B = TestImages.Block;

    /// <summary>
    /// Passes everything to the real store until <c>blockWritesAllowed</c> block files were written; then block writes fail.
    /// <see cref="BlockWrites"/> counts the block files actually stored.
    /// With <c>hardCrash</c>, every operation fails from then on (the process or the link is gone), so the engine cannot
    /// clean up after itself. <c>failVolumeCfgWrites</c> fails writes of volume.cfg after the final backup cfg.
    /// </summary>
    private sealed class FailingStore(IObjectStore inner, int blockWritesAllowed, bool hardCrash = false, bool failVolumeCfgWrites = false) : IObjectStore
    {
        private int _blockWrites;
        private volatile bool _crashed;

        public int BlockWrites => Volatile.Read(ref _blockWrites);
        public bool Crashed => _crashed;
        public string Location => inner.Location;
        public bool ReplacesAtomically => inner.ReplacesAtomically;

        private void ThrowIfDown(string key)
        {
            if (hardCrash && _crashed) throw Failure(key);
        }

        private static LonghornBackupException Failure(string key) =>
            new(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, $"simulated failure writing '{key}'", key);

        public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            ThrowIfDown(key);
            if (key.EndsWith(".blk", StringComparison.Ordinal))
            {
                // Take a slot; give it back if the write does not complete (e.g. cancelled after another failed).
                if (Interlocked.Increment(ref _blockWrites) > blockWritesAllowed)
                {
                    Interlocked.Decrement(ref _blockWrites);
                    _crashed = true;
                    throw Failure(key);
                }
                try { await inner.WriteAsync(key, data, ct); }
                catch { Interlocked.Decrement(ref _blockWrites); throw; }
                return;
            }
            if (failVolumeCfgWrites && key.EndsWith("/volume.cfg", StringComparison.Ordinal)) throw Failure(key);
            await inner.WriteAsync(key, data, ct);
        }

        public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct)
        {
            ThrowIfDown(directory);
            return inner.ListAsync(directory, ct);
        }

        public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
        {
            ThrowIfDown(directory);
            await foreach (var k in inner.ListTreeAsync(directory, ct)) yield return k;
        }

        public Task<byte[]?> ReadAsync(string key, CancellationToken ct)
        {
            ThrowIfDown(key);
            return inner.ReadAsync(key, ct);
        }

        public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct)
        {
            ThrowIfDown(key);
            return inner.StatAsync(key, ct);
        }

        public Task DeleteAsync(string key, CancellationToken ct)
        {
            ThrowIfDown(key);
            return inner.DeleteAsync(key, ct);
        }

        public Task DeleteTreeAsync(string directory, CancellationToken ct)
        {
            ThrowIfDown(directory);
            return inner.DeleteTreeAsync(directory, ct);
        }
    }

    /// <summary>Cancels the operation (as Ctrl+C does) once <c>blockOps</c> block files were written or read.</summary>
    private sealed class CancellingStore(IObjectStore inner, CancellationTokenSource cts, int blockOps) : IObjectStore
    {
        private int _ops;
        public string Location => inner.Location;
        public bool ReplacesAtomically => inner.ReplacesAtomically;

        private void Count(string key)
        {
            if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref _ops) > blockOps) cts.Cancel();
        }

        public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct) { Count(key); return inner.WriteAsync(key, data, ct); }
        public Task<byte[]?> ReadAsync(string key, CancellationToken ct) { Count(key); return inner.ReadAsync(key, ct); }
        public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) => inner.ListAsync(directory, ct);
        public IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, CancellationToken ct) => inner.ListTreeAsync(directory, ct);
        public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) => inner.StatAsync(key, ct);
        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
        public Task DeleteTreeAsync(string directory, CancellationToken ct) => inner.DeleteTreeAsync(directory, ct);
    }

    /// <summary>16 MiB, all 8 blocks distinct random data.</summary>
    private static string BaseImage(TestStore t) =>
        TestImages.Create(t.WorkFile("image.img"), 16 * TestImages.MiB,
            Enumerable.Range(0, 8).Select(i => ((long)i * B, TestImages.RandomBytes(1000 + i))).ToArray());

    /// <summary>Changes 6 of the 8 blocks.</summary>
    private static void ChangeSixBlocks(string image)
    {
        foreach (int i in new[] { 0, 1, 3, 4, 6, 7 }) TestImages.Write(image, (long)i * B, TestImages.RandomBytes(2000 + i));
    }

    private static async Task<string> RestoreSha(TestStore t, string volume, string backup) =>
        TestImages.Sha256(await t.RestoreToNewFileAsync(volume, backup));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(5, 2)]
    public async Task Failure_between_blocks_keeps_earlier_backups_and_a_rerun_completes(int blocksBeforeFailure, int workers)
    {
        using var t = new TestStore();
        string image = BaseImage(t);
        var first = await t.BackupAsync("vol-c", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        ChangeSixBlocks(image);
        string secondSha = TestImages.Sha256(image);
        var blocksBefore = t.BlockFiles("vol-c").ToHashSet();

        // What a clean run of the second backup uploads, measured on a copy of the target.
        using var clean = new TestStore(t.Root);
        var cleanRun = await clean.BackupAsync("vol-c", image, snapshot: "s2");
        Assert.Equal(6, cleanRun.Counters.BlocksUploaded);

        FailingStore? failing = null;
        var via = t.Through(s => failing = new FailingStore(s, blocksBeforeFailure));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol-c", image, snapshot: "s2", backupName: "backup-0000000000000002", concurrency: workers, via: via));
        Assert.Equal(ErrorIds.StoreWriteFailed, e.ErrorId);
        // With one worker exactly N blocks were stored; with more, an upload in flight may be cancelled by the failure.
        int stored = failing!.BlockWrites;
        if (workers == 1) Assert.Equal(blocksBeforeFailure, stored);
        else Assert.InRange(stored, 0, blocksBeforeFailure);

        // Earlier backups are intact and still the latest; the failed one is not listed.
        Assert.Equal(new[] { first.Backup.Name }, await t.Store.ListBackupNamesAsync("vol-c", CancellationToken.None));
        Assert.Equal(first.Backup.Name, t.ReadVolumeCfg("vol-c").LastBackupName);
        Assert.Equal(firstSha, await RestoreSha(t, "vol-c", first.Backup.Name));
        Assert.Equal(stored, t.BlockFiles("vol-c").Count(f => !blocksBefore.Contains(f)));
        Assert.Empty(Directory.GetFiles(t.Root, "*.tmp.*", SearchOption.AllDirectories));

        // The rerun of the same backup succeeds and only uploads what the failed run did not.
        var rerun = await t.BackupAsync("vol-c", image, snapshot: "s2", backupName: "backup-0000000000000002", concurrency: workers);
        Assert.Equal(6 - stored, rerun.Counters.BlocksUploaded);
        if (stored > 0)
            Assert.True(rerun.Backup.NewlyUploadedDataSize < cleanRun.Backup.NewlyUploadedDataSize,
                $"rerun uploaded {rerun.Backup.NewlyUploadedDataSize} bytes, a clean run {cleanRun.Backup.NewlyUploadedDataSize}");
        else
            Assert.Equal(cleanRun.Backup.NewlyUploadedDataSize, rerun.Backup.NewlyUploadedDataSize);
        Assert.True(rerun.Backup.IsIncremental);
        Assert.Equal(secondSha, await RestoreSha(t, "vol-c", rerun.Backup.Name));
        Assert.Equal(firstSha, await RestoreSha(t, "vol-c", first.Backup.Name));
        Assert.Equal(rerun.Backup.Name, t.ReadVolumeCfg("vol-c").LastBackupName);
        // BlockCount is what the pool holds, the failed run's blocks included (they were counted as nothing before).
        Assert.Equal(t.BlockFiles("vol-c").Length, t.ReadVolumeCfg("vol-c").BlockCount);
        Assert.Equal(14, t.ReadVolumeCfg("vol-c").BlockCount);
    }

    [Fact]
    public async Task Failure_during_the_first_backup_of_a_volume_can_be_rerun()
    {
        using var t = new TestStore();
        string image = BaseImage(t);
        var via = t.Through(s => new FailingStore(s, 2));
        await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-new", image, concurrency: 1, via: via));
        Assert.Empty(await t.Store.ListBackupNamesAsync("vol-new", CancellationToken.None));
        Assert.Equal("", (await t.Store.GetVolumeAsync("vol-new", CancellationToken.None)).LastBackupName);

        var rerun = await t.BackupAsync("vol-new", image);
        Assert.Equal(6, rerun.Counters.BlocksUploaded);
        Assert.False(rerun.Backup.IsIncremental);
        Assert.Equal(TestImages.Sha256(image), await RestoreSha(t, "vol-new", rerun.Backup.Name));
        Assert.Equal(8, t.BlockFiles("vol-new").Length);
        Assert.Equal(rerun.Backup.Name, t.ReadVolumeCfg("vol-new").LastBackupName);
    }

    [Fact]
    public async Task Hard_crash_leaves_an_in_progress_cfg_that_harms_no_earlier_backup()
    {
        using var t = new TestStore();
        string image = BaseImage(t);
        var first = await t.BackupAsync("vol-h", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        ChangeSixBlocks(image);

        // The store goes away after two block writes: the engine cannot even remove its in-progress marker.
        var via = t.Through(s => new FailingStore(s, 2, hardCrash: true));
        await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol-h", image, snapshot: "s2", backupName: "backup-00000000000000cc", concurrency: 1, via: via));

        // What the crash left: the in-progress cfg in Go's format.
        var listed = await t.Store.ListBackupNamesAsync("vol-h", CancellationToken.None);
        Assert.Equal(new[] { "backup-00000000000000cc", first.Backup.Name }.Order(StringComparer.Ordinal), listed);
        var crashed = await t.Store.GetBackupAsync("vol-h", "backup-00000000000000cc", CancellationToken.None);
        Assert.True(crashed.IsInProgress);
        Assert.Equal("", crashed.CreatedTime);
        Assert.Empty(crashed.Blocks);
        string raw = File.ReadAllText(t.BackupCfgFile("vol-h", "backup-00000000000000cc"));
        Assert.Contains("\"CreatedTime\":\"\"", raw);
        Assert.Contains("\"ProcessingBlocks\":null", raw);
        Assert.Equal(first.Backup.Name, t.ReadVolumeCfg("vol-h").LastBackupName);

        // The earlier backup still restores; the crashed one is refused as in progress.
        Assert.Equal(firstSha, await RestoreSha(t, "vol-h", first.Backup.Name));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-h", "backup-00000000000000cc", t.WorkFile("x.img")));
        Assert.Equal(ErrorIds.BackupInProgress, e.ErrorId);
        Assert.False(File.Exists(t.WorkFile("x.img")));

        // The next backup is incremental on the last completed one and reuses the two blocks the crash stored.
        var next = await t.BackupAsync("vol-h", image, snapshot: "s3");
        Assert.True(next.Backup.IsIncremental);
        Assert.Equal(4, next.Counters.BlocksUploaded);
        Assert.Equal(TestImages.Sha256(image), await RestoreSha(t, "vol-h", next.Backup.Name));
        Assert.True(t.ReadBackupCfg("vol-h", "backup-00000000000000cc").IsInProgress);
    }

    [Fact]
    public async Task Hand_written_in_progress_cfg_is_reported_and_does_not_block_other_backups()
    {
        // The same state as a crash right after step 7 of docs/backupstore-format.md §4.1, written the way the engine writes it.
        using var t = new TestStore();
        string image = BaseImage(t);
        var first = await t.BackupAsync("vol-p", image, snapshot: "s1");
        await t.Store.SaveBackupAsync(new BackupConfig { Name = "backup-00000000000000dd", VolumeName = "vol-p", CompressionMethod = "lz4" }, CancellationToken.None);

        Assert.True((await t.Store.GetBackupAsync("vol-p", "backup-00000000000000dd", CancellationToken.None)).IsInProgress);
        Assert.Equal(TestImages.Sha256(image), await RestoreSha(t, "vol-p", first.Backup.Name));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-p", "backup-00000000000000dd", t.WorkFile("x.img")));
        Assert.Equal(ErrorIds.BackupInProgress, e.ErrorId);

        // Its block size is not taken from the unfinished cfg, and its name stays taken.
        var next = await t.BackupAsync("vol-p", image, snapshot: "s2");
        Assert.Equal(B, next.Backup.BlockSize);
        var inUse = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-p", image, snapshot: "s3", backupName: "backup-00000000000000dd"));
        Assert.Equal(ErrorIds.BackupNameInUse, inUse.ErrorId);
    }

    [Fact]
    public async Task Crash_after_the_final_cfg_but_before_volume_cfg_leaves_a_restorable_backup()
    {
        // docs/backupstore-format.md §4.1 "between steps 9 and 10": complete and restorable, volume.cfg still names the previous backup.
        using var t = new TestStore();
        string image = BaseImage(t);
        var first = await t.BackupAsync("vol-s", image, snapshot: "s1");
        ChangeSixBlocks(image);
        string secondSha = TestImages.Sha256(image);

        var via = t.Through(s => new FailingStore(s, int.MaxValue, failVolumeCfgWrites: true));
        await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol-s", image, snapshot: "s2", backupName: "backup-00000000000000ee", via: via));

        Assert.Equal(first.Backup.Name, t.ReadVolumeCfg("vol-s").LastBackupName);
        var done = t.ReadBackupCfg("vol-s", "backup-00000000000000ee");
        Assert.False(done.IsInProgress);
        Assert.Equal(secondSha, await RestoreSha(t, "vol-s", "backup-00000000000000ee"));

        // The next backup works (incremental on the older base, which is still correct) and uploads nothing new.
        var next = await t.BackupAsync("vol-s", image, snapshot: "s3");
        Assert.Equal(0, next.Counters.BlocksUploaded);
        Assert.Equal(secondSha, await RestoreSha(t, "vol-s", next.Backup.Name));
        Assert.Equal(next.Backup.Name, t.ReadVolumeCfg("vol-s").LastBackupName);
    }

    [Fact]
    public async Task Cancelled_backup_reports_OperationCancelled_and_leaves_earlier_backups_intact()
    {
        using var t = new TestStore();
        string image = BaseImage(t);
        var first = await t.BackupAsync("vol-x", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        ChangeSixBlocks(image);

        using var cts = new CancellationTokenSource();
        var via = t.Through(s => new CancellingStore(s, cts, 2));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol-x", image, snapshot: "s2", concurrency: 1, via: via, ct: cts.Token));
        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);

        Assert.Equal(new[] { first.Backup.Name }, await t.Store.ListBackupNamesAsync("vol-x", CancellationToken.None));
        Assert.Equal(first.Backup.Name, t.ReadVolumeCfg("vol-x").LastBackupName);
        Assert.Equal(firstSha, await RestoreSha(t, "vol-x", first.Backup.Name));
        Assert.Empty(Directory.GetFiles(t.Root, "*.tmp.*", SearchOption.AllDirectories));

        var rerun = await t.BackupAsync("vol-x", image, snapshot: "s2");
        Assert.Equal(TestImages.Sha256(image), await RestoreSha(t, "vol-x", rerun.Backup.Name));
    }

    [Fact]
    public async Task Cancelled_restore_reports_OperationCancelled_and_leaves_no_file()
    {
        using var t = new TestStore();
        string image = BaseImage(t);
        var backup = await t.BackupAsync("vol-y", image);
        string output = t.WorkFile("out.img");

        using var cts = new CancellationTokenSource();
        var via = t.Through(s => new CancellingStore(s, cts, 2));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.RestoreAsync("vol-y", backup.Backup.Name, output, via: via, ct: cts.Token));
        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.False(File.Exists(output));
        Assert.Equal(new[] { "image.img" }, Directory.GetFiles(t.Work).Select(Path.GetFileName));
    }
}
