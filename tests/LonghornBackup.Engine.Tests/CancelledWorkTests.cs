using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// An operation stopped by its cancellation token (Ctrl+C) says what it had done: the figures on its OperationCancelled
/// error match what the store and the destination hold afterwards. Each cancel happens at a store call the test hooks.
/// </summary>
public class CancelledWorkTests
{
    private static string ImageOf(TestStore t, string name, params int[] seeds) =>
        TestImages.Create(t.WorkFile(name), 8L * TestImages.Block,
            seeds.Select((seed, i) => ((long)i * TestImages.Block, TestImages.RandomBytes(seed))).ToArray());

    [Fact]
    public async Task A_backup_cancelled_after_blocks_were_stored_counts_them_and_the_next_backup_reuses_them()
    {
        using var t = new TestStore();
        string image = ImageOf(t, "vol.img", 1, 2, 3, 4, 5);
        using var cts = new CancellationTokenSource();
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        int stored = 0;
        hooked.AfterWrite = key => { if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref stored) == 2) cts.Cancel(); };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol", image, via: t.Through(_ => hooked), concurrency: 1, ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        var work = Assert.IsType<CancelledWork>(e.Cancelled);
        Assert.Equal(CancelledOperation.Backup, work.Operation);
        var blockFiles = t.BlockFiles("vol");
        Assert.True(work.BlocksStored >= 2, $"{work.BlocksStored} blocks reported");
        Assert.Equal(blockFiles.Length, work.BlocksStored);
        Assert.Equal(blockFiles.Sum(f => new FileInfo(f).Length), work.BytesStored);
        Assert.Empty(await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));   // no backup, not even in progress

        var next = await t.BackupAsync("vol", image);
        Assert.Equal(work.BlocksStored, next.Counters.ExistingBlocksSkipped);
        Assert.Equal(5 - work.BlocksStored, next.Counters.NewBlocks);
    }

    [Fact]
    public async Task A_backup_cancelled_while_a_deletion_holds_the_volume_stored_nothing()
    {
        using var t = new TestStore();
        t.PlantLock("vol", LockType.Deletion, acquired: true);
        using var cts = new CancellationTokenSource();
        // The second look at the locks is the wait going on: cancel there.
        int looks = 0;
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (op, key) =>
            {
                if (op == "List" && key.EndsWith("/locks", StringComparison.Ordinal) && Interlocked.Increment(ref looks) == 3) cts.Cancel();
                return Task.CompletedTask;
            },
        };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.BackupAsync("vol", ImageOf(t, "vol.img", 1, 2), via: t.Through(_ => hooked), lockTimeout: TimeSpan.FromMinutes(10), ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.Equal(new CancelledWork(CancelledOperation.Backup, "vol"), e.Cancelled);
        Assert.Empty(t.BlockFiles("vol"));
    }

    [Fact]
    public async Task A_restore_cancelled_part_way_leaves_the_existing_file_as_it_was()
    {
        using var t = new TestStore();
        var backup = await t.BackupAsync("vol", ImageOf(t, "vol.img", 1, 2, 3));
        string output = t.WorkFile("out.img");
        File.WriteAllText(output, "the file that was there");
        using var cts = new CancellationTokenSource();
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (op, key) =>
            {
                if (op == "Read" && key.EndsWith(".blk", StringComparison.Ordinal)) cts.Cancel();
                return Task.CompletedTask;
            },
        };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.RestoreAsync("vol", backup.Backup.Name, output, overwrite: true, via: t.Through(_ => hooked), ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        var work = Assert.IsType<CancelledWork>(e.Cancelled);
        Assert.Equal(CancelledOperation.Restore, work.Operation);
        Assert.Equal(Path.GetFullPath(output), work.Destination);
        Assert.True(work.DestinationUnchanged);
        Assert.Equal("the file that was there", File.ReadAllText(output));
        Assert.Equal(new[] { "out.img" }, Directory.GetFiles(t.Work).Select(Path.GetFileName).Where(n => n!.Contains("out", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_removal_cancelled_while_freeing_blocks_names_the_backups_it_removed()
    {
        using var t = new TestStore();
        var first = await t.BackupAsync("vol", ImageOf(t, "v1.img", 1, 2), snapshot: "s1");
        var second = await t.BackupAsync("vol", ImageOf(t, "v2.img", 3, 4), snapshot: "s2");
        using var cts = new CancellationTokenSource();
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (op, key) =>
            {
                if (op == "Delete" && key.EndsWith(".blk", StringComparison.Ordinal)) cts.Cancel();
                return Task.CompletedTask;
            },
        };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.DeleteBackupsAsync("vol", new[] { first.Backup.Name }, via: t.Through(_ => hooked), ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        var work = Assert.IsType<CancelledWork>(e.Cancelled);
        Assert.Equal(CancelledOperation.BackupRemoval, work.Operation);
        Assert.Equal(new[] { first.Backup.Name }, work.BackupsRemoved);
        Assert.Equal(new[] { second.Backup.Name }, await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));
    }

    [Fact]
    public async Task A_removal_cancelled_while_waiting_for_the_lock_removed_nothing()
    {
        using var t = new TestStore();
        var first = await t.BackupAsync("vol", ImageOf(t, "v1.img", 1, 2));
        t.PlantLock("vol", LockType.BackupOrRestore, acquired: true);
        using var cts = new CancellationTokenSource();
        int looks = 0;
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root))
        {
            Before = (op, key) =>
            {
                if (op == "List" && key.EndsWith("/locks", StringComparison.Ordinal) && Interlocked.Increment(ref looks) == 2) cts.Cancel();
                return Task.CompletedTask;
            },
        };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            t.DeleteBackupsAsync("vol", new[] { first.Backup.Name }, via: t.Through(_ => hooked), lockTimeout: TimeSpan.FromMinutes(10), ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.Equal(CancelledOperation.BackupRemoval, e.Cancelled?.Operation);
        Assert.Empty(e.Cancelled!.BackupsRemoved);
        Assert.Equal(new[] { first.Backup.Name }, await t.Store.ListBackupNamesAsync("vol", CancellationToken.None));
    }
}
