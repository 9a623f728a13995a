using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Hosting;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>
/// Ctrl+C does not end a command silently: it warns what was kept. The moment to stop is an event (the command's own
/// lock file appearing while another client's deletion holds the volume), never a time.
/// </summary>
public class CancellationTests
{
    [Fact]
    public async Task Ctrl_C_while_a_backup_waits_for_the_lock_warns_that_no_backup_was_made_and_no_block_stored()
    {
        var console = new RecordingHost();
        using var host = new PowerShellHost(console);
        string image = host.NewImage("a.img", 8, 0, 2);
        Assert.Empty(host.Run($"Set-LhBackupTarget -Url '{host.Target}'").Errors);
        // Another client's deletion holds the volume: the backup writes its lock file and waits, storing nothing.
        string locks = Path.Combine(host.Target, StorePaths.LocksDir("vol-c"));
        Directory.CreateDirectory(locks);
        string planted = NameRules.NewLockName();
        File.WriteAllBytes(Path.Combine(locks, planted + ".lck"), new LockFile(planted, LockType.Deletion, Acquired: true).ToJson());

        var warnings = await host.RunAndStopAsync($"New-LhBackup -VolumeName vol-c -SnapshotName s1 -Path '{image}' -LockTimeout 600",
            FileAppears(locks, count: 2));

        string expected = "Cancelled: no backup of volume 'vol-c' was made, and no block was stored.";
        Assert.Contains(expected, warnings.Concat(console.Warnings));
        Assert.Empty(Directory.GetFiles(host.Target, "*.blk", SearchOption.AllDirectories));
        Assert.Equal(new[] { planted + ".lck" }, Directory.GetFiles(locks).Select(Path.GetFileName));
    }

    [Fact]
    public void The_warning_says_what_each_stopped_operation_kept()
    {
        Assert.Equal("Cancelled: no backup of volume 'pvc-1' was made. The 3 blocks stored (6 MiB) stay on the target; "
                     + "the next incremental backup of the volume reuses them instead of uploading them again.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.Backup, "pvc-1") { BlocksStored = 3, BytesStored = 6L << 20 }));
        Assert.Equal("Cancelled: nothing was restored; '/srv/pvc-1.img' was left as it was.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.Restore, "pvc-1") { Destination = "/srv/pvc-1.img" }));
        Assert.Equal("Cancelled: the device '/dev/vg0/new' was partly written; restore the backup to it again before using it.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.Restore, "pvc-1") { Destination = "/dev/vg0/new", DestinationUnchanged = false }));
        Assert.Equal("Cancelled: no backup of volume 'pvc-1' was removed.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.BackupRemoval, "pvc-1")));
        Assert.Equal("Cancelled: 2 backups of volume 'pvc-1' removed (backup-a, backup-b); the blocks only they used are freed by the next removal of a backup of the volume.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.BackupRemoval, "pvc-1") { BackupsRemoved = new[] { "backup-a", "backup-b" } }));
        Assert.Equal("Cancelled: backup volume 'pvc-1' is partly removed; run Remove-LhBackupVolume -Name pvc-1 again to finish.",
            CancellationWarning.For(new CancelledWork(CancelledOperation.VolumeRemoval, "pvc-1") { RemovalStarted = true }));
    }

    /// <summary>Completes once <paramref name="folder"/> holds <paramref name="count"/> files.</summary>
    private static async Task FileAppears(string folder, int count)
    {
        // Polling the folder waits for an event (the file); the bound only keeps a broken command from hanging the test.
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (Directory.GetFiles(folder).Length < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{folder} never held {count} files");
            await Task.Delay(10);
        }
    }
}
