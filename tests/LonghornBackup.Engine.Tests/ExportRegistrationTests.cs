using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// An export is in <see cref="ExportRegistry"/> (whose process-end hooks stop every export on SIGTERM, process exit or
/// module removal) from before anything can connect to it: a scheduled task ended right after its export started
/// serving leaves no socket file and no lock behind. A start that fails leaves no session there.
/// </summary>
public class ExportRegistrationTests
{
    private static async Task<(TestStore Store, string Backup)> VolumeWithOneBackup()
    {
        var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("vol.img"), 2L * TestImages.Block, (0, TestImages.RandomBytes(1)));
        var r = await t.BackupAsync("vol-x", image);
        return (t, r.Backup.Name);
    }

    private static ExportRequest Request(string backup, ExportEndpoint endpoint, string name) => new()
    {
        Backups = new[] { ("vol-x", backup) },
        Endpoint = endpoint,
        TargetName = name,   // tells this test's session from others in the process-wide registry
        Locking = TestStore.FastLocks,
    };

    [Fact]
    public async Task An_export_is_registered_for_stopping_before_it_can_be_reached()
    {
        var (t, backup) = await VolumeWithOneBackup();
        using var _t = t;
        string name = $"reg-{Guid.NewGuid():N}";
        // The session reads its first block (a prefetch) once it listens: whether it is registered then is what a
        // SIGTERM arriving at that moment would find.
        var firstBlockRead = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = t.Through(inner => new HookedStore(inner)
        {
            Before = (op, key) =>
            {
                if (op == "Read" && key.EndsWith(".blk", StringComparison.Ordinal))
                    firstBlockRead.TrySetResult(ExportRegistry.All.Any(s => s.TargetName == name));
                return Task.CompletedTask;
            },
        });

        var session = await ExportSession.StartAsync(store, Request(backup, ExportEndpoint.Tcp(IPAddress.Loopback, 0), name), CancellationToken.None);
        try
        {
            // Not a time window: the bound only keeps a session that never prefetches from hanging the test.
            Assert.True(await firstBlockRead.Task.WaitAsync(TimeSpan.FromMinutes(2)), "the export listened before it was registered");
            Assert.Same(session, ExportRegistry.Get(session.Id));
        }
        finally
        {
            await session.StopAsync();
        }
        Assert.DoesNotContain(ExportRegistry.All, s => s.TargetName == name);
        Assert.Empty(t.LockFiles("vol-x"));
    }

    [Fact]
    public async Task An_export_that_cannot_listen_is_not_left_registered_and_releases_its_lock()
    {
        var (t, backup) = await VolumeWithOneBackup();
        using var _t = t;
        string name = $"reg-{Guid.NewGuid():N}";
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            ExportSession.StartAsync(t.Through(inner => inner), Request(backup, ExportEndpoint.Tcp(IPAddress.Loopback, port), name), CancellationToken.None));

        Assert.Equal(ErrorIds.ExportListenFailed, e.ErrorId);
        Assert.DoesNotContain(ExportRegistry.All, s => s.TargetName == name);
        Assert.Empty(t.LockFiles("vol-x"));
    }
}
