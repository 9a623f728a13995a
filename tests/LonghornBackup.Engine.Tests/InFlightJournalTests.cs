using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>The in-flight journal of one backup run: blocks are covered by records before they are sent, and a record that cannot be written fails every upload waiting for it.</summary>
public class InFlightJournalTests
{
    private static readonly string A = new('a', 64), Bc = new('b', 64), C = new('c', 64);

    private static (InFlightJournal Journal, HookedStore Store, TestStore T) Journal(Func<string, string, Task>? before = null)
    {
        var t = new TestStore();
        var store = new HookedStore(new FileSystemStore(t.Root)) { Before = before };
        var journal = new InFlightJournal(store, "vol", "backup-0000000000000001", Task.FromResult("lock-0000000000000001"), TestImages.Block, "lz4");
        return (journal, store, t);
    }

    [Fact]
    public async Task Announced_blocks_go_into_one_record_which_covers_them_before_they_are_sent()
    {
        var (journal, store, t) = Journal();
        using var _ = t;
        journal.Start(CancellationToken.None);
        journal.Announce(A);
        journal.Announce(Bc);
        await journal.CoverAsync(A, CancellationToken.None);
        await journal.CoverAsync(Bc, CancellationToken.None);   // already in the record written for A
        var written = store.Where("Write", ".inflight").ToList();
        var record = InFlightRecord.TryParse(Assert.Single(written).Data);
        Assert.Equal(new[] { A, Bc }.Order(), record!.Blocks.Order());
        Assert.Equal(TestImages.Block, record.BlockSize);
        Assert.Equal("lock-0000000000000001", record.OwnerLock);
        await journal.CompleteAsync();
        await journal.DeleteRecordsAsync(CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(t.Root, StorePaths.InFlightDir("vol"))), "the emptied folder goes too");
    }

    [Fact]
    public async Task A_record_that_cannot_be_written_fails_the_uploads_waiting_for_it_and_every_later_one()
    {
        // Before the fix, the uploads waiting for the record being written waited for ever (a 20% fault rate hung).
        var (journal, _, t) = Journal((op, key) => op == "Write" && key.EndsWith(".inflight", StringComparison.Ordinal)
            ? throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, "no room", key)
            : Task.CompletedTask);
        using var _ = t;
        journal.Start(CancellationToken.None);
        journal.Announce(A);
        var waiting = journal.CoverAsync(A, CancellationToken.None);
        var done = await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromMinutes(2)));   // a safety net, not a timing assertion
        Assert.Same(waiting, done);
        Assert.Equal(ErrorIds.StoreWriteFailed, (await Assert.ThrowsAsync<LonghornBackupException>(() => waiting)).ErrorId);
        Assert.Equal(ErrorIds.StoreWriteFailed, (await Assert.ThrowsAsync<LonghornBackupException>(() => journal.CoverAsync(C, CancellationToken.None))).ErrorId);
        await journal.CompleteAsync();   // ends without throwing: the uploads have the error
    }
}
