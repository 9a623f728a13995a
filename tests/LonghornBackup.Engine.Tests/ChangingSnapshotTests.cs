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
        LockWaitOverlapTests.BeforeLockIsHeld(hooked, () =>
        {
            // A deletion frees both blocks once the transfer has stored them (waiting for them here holds the lock
            // back, not the transfer): under the lock both must be read again, and block 0 no longer matches.
            Assert.True(SpinWait.SpinUntil(() => t.BlockFiles("vol").Length == 2, TimeSpan.FromSeconds(30)), "the transfer stored no blocks");
            foreach (var file in t.BlockFiles("vol")) File.Delete(file);
        });
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => TestStore.RunBackupAsync(t.Through(_ => hooked), new BackupRequest
        {
            VolumeName = "vol",
            SnapshotName = "s1",
            Source = new ChangingSource(RawImageSource.Open(image)),
            ChangeCacheDirectory = t.ChangeCacheDirectory,
        }));
        Assert.Equal(ErrorIds.SnapshotReadFailed, e.ErrorId);
        Assert.Contains("changed while it was being backed up", e.Message);
        Assert.Empty(await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));
    }
}
