using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A backup reads a block twice when it must store it again under the lock (a deletion freed it during the lock
/// wait). A snapshot that changed in between must fail the backup clearly rather than store a block under a checksum
/// that is not its own.
/// </summary>
public class ChangingSnapshotTests
{
    /// <summary>A source whose block at offset 0 reads differently from the second read on.</summary>
    private sealed class ChangingSource(IBlockSource inner) : IBlockSource
    {
        private int _readsOfFirstBlock;
        public long Size => inner.Size;
        public string Description => inner.Description;
        public IReadOnlyList<DataRange> GetDataRanges() => inner.GetDataRanges();
        public void ReadAt(long offset, Span<byte> buffer)
        {
            inner.ReadAt(offset, buffer);
            if (offset == 0 && Interlocked.Increment(ref _readsOfFirstBlock) > 1) buffer[17] ^= 0xFF;
        }
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task A_snapshot_that_changes_during_the_backup_fails_it_and_stores_no_backup()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("vol.img"), 4L * TestImages.Block,
            (0, TestImages.RandomBytes(1)), (TestImages.Block, TestImages.RandomBytes(2)));
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        // A deletion frees both blocks once the transfer has stored them: the lock's check wait opens only then, and
        // the deletion runs just before the lock is held. Under the lock both must be read again, and block 0 no
        // longer matches.
        var clock = new GatedWaitClock(TestStore.FastLocks.CheckWait);
        int stored = 0;
        hooked.AfterWrite = key =>
        {
            if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref stored) == 2) clock.Open();
        };
        LockWaitOverlapTests.BeforeLockIsHeld(hooked, () =>
        {
            foreach (var file in t.BlockFiles("vol")) File.Delete(file);
        });
        var backup = TestStore.RunBackupAsync(t.Through(_ => hooked), new BackupRequest
        {
            VolumeName = "vol",
            SnapshotName = "s1",
            Source = new ChangingSource(RawImageSource.Open(image)),
            ChangeCacheDirectory = t.ChangeCacheDirectory,
        }, locks: TestStore.FastLocks with { Clock = clock });
        // Not a time window: the bound only keeps a transfer that stores nothing before the lock from hanging the test.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => backup.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal(ErrorIds.SnapshotReadFailed, e.ErrorId);
        Assert.Contains("changed while it was being backed up", e.Message);
        Assert.Empty(await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));
    }
}
