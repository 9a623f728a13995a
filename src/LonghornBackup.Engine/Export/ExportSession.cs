using System.Collections.Concurrent;
using System.Net.Sockets;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// A running export: one listener serving one or more backups of one target, holding Longhorn's type-1 lock on each
/// of their volumes (renewed as Longhorn does) so no deletion frees blocks under it. It runs on the thread pool and
/// never writes anywhere but the socket: warnings about broken blocks wait in <see cref="DrainWarnings"/>.
/// </summary>
public sealed class ExportSession
{
    private readonly Backupstore _store;
    private readonly IReadOnlyList<VolumeLock> _locks;
    private readonly NbdServer _server;
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly CancellationTokenSource _cancel;
    private readonly TaskCompletionSource<bool> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopping;

    private ExportSession(Backupstore store, ExportRequest request, IReadOnlyList<VolumeLock> locks, IReadOnlyList<BackupExport> exports,
        CancellationTokenSource cancel)
    {
        _store = store;
        _cancel = cancel;
        _locks = locks;
        Exports = exports;
        Endpoint = request.Endpoint;
        TargetName = request.TargetName;
        _server = new NbdServer(exports, request.Endpoint) { OnFault = e => _warnings.Enqueue($"The export at {Endpoint} stopped accepting clients: {e.Message}") };
        foreach (var export in exports)
            export.Reader.OnBlockFailed = e => _warnings.Enqueue($"Export '{export.Name}': {e.Message} Reads of that block get EIO; other reads work.");
    }

    public int Id { get; internal set; }
    public DateTime StartedAt { get; } = DateTime.UtcNow;
    public ExportEndpoint Endpoint { get; }
    public string TargetName { get; }
    public IReadOnlyList<BackupExport> Exports { get; }
    public bool IsRunning => !_stopped.Task.IsCompleted;
    public long ConnectionsAccepted => _server.ConnectionsAccepted;
    public int ConnectionsOpen => _server.ConnectionsOpen;
    /// <summary>Completes when the session has stopped.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Warnings queued by the server threads since the last call.</summary>
    public IReadOnlyList<string> DrainWarnings()
    {
        var list = new List<string>();
        while (_warnings.TryDequeue(out var w)) list.Add(w);
        return list;
    }

    /// <summary>
    /// Checks every backup (as a restore does: finished, sane volume size and block map), takes the volumes' locks,
    /// adds the session to <see cref="ExportRegistry"/> and starts listening. Takes ownership of <paramref name="store"/>:
    /// it is released when the session stops or fails to start.
    /// </summary>
    public static async Task<ExportSession> StartAsync(Backupstore store, ExportRequest request, CancellationToken ct)
    {
        var locks = new List<VolumeLock>();
        try
        {
            if (request.Backups.Count == 0) throw new ArgumentException("An export needs at least one backup.", nameof(request));
            foreach (var (volume, backup) in request.Backups)
            {
                NameRules.ValidateVolumeNameForRead(volume);
                NameRules.ValidateBackupName(backup);
            }
            // The locks' 2 s check wait runs while the backups are loaded and checked.
            var lockTasks = request.Backups.Select(b => b.VolumeName).Distinct(StringComparer.Ordinal)
                .Select(v => VolumeLock.AcquireAsync(store.Store, v, LockType.BackupOrRestore, "export", request.LockTimeout, request.Locking, ct))
                .ToList();
            try
            {
                var sources = await Task.WhenAll(request.Backups.Select(b => RestoreSource.LoadAsync(store, b.VolumeName, b.BackupName,
                    request.IncludeBlocksBeyondVolumeSize, "Nothing was exported.", "-IncludeBlocksBeyondVolumeSize", ct))).ConfigureAwait(false);
                await Task.WhenAll(lockTasks).ConfigureAwait(false);
                locks.AddRange(lockTasks.Select(t => t.Result));
                var cancel = new CancellationTokenSource();   // stops the readers' fetches when the session stops
                var session = new ExportSession(store, request, locks, CreateExports(store, sources, request, cancel.Token), cancel);
                // In the registry before anything can connect: from the moment its socket exists, a process ended by
                // SIGTERM (or a module removed) stops it, and leaves no socket file or lock behind.
                ExportRegistry.Add(session);
                try { session.Listen(); }
                catch
                {
                    ExportRegistry.Remove(session);
                    throw;
                }
                // The first block with data holds what every client reads first (partition table, superblock); fetching
                // it now also readies the fetch and verify code, so the first read of any block answers quickly.
                foreach (var export in session.Exports)
                    if (export.Reader.FirstMappedOffset is long first) export.Reader.Prefetch(first, 1);
                return session;
            }
            finally
            {
                foreach (var t in lockTasks)
                {
                    try { var held = await t.ConfigureAwait(false); if (!locks.Contains(held)) locks.Add(held); }
                    catch (Exception) { /* its failure is reported by WhenAll above, or the load failed first */ }
                }
            }
        }
        catch
        {
            foreach (var l in locks) await l.ReleaseAsync().ConfigureAwait(false);
            store.Dispose();
            throw;
        }
    }

    private static List<BackupExport> CreateExports(Backupstore store, IReadOnlyList<RestoreSource> sources, ExportRequest request,
        CancellationToken stopping)
    {
        // Twelve loads: a full multi-buffer group of eight checksums waits for its hash while four more blocks are read.
        // Against eight (each group waited for the next), a 4 GiB export on two cores copied 15% faster in fewer, fuller
        // groups; sixteen left too small a cache out of 64 MiB (blocks fetched twice).
        int fetchers = request.Fetchers ?? Math.Max(12, Environment.ProcessorCount * 2);
        var duplicated = sources.GroupBy(s => s.Backup.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        return sources.Select(s => new BackupExport(
            duplicated.Contains(s.Backup.Name) ? $"{s.Backup.VolumeName}/{s.Backup.Name}" : s.Backup.Name,
            new BackupBlockReader(store.Store, s, request.CacheBytes, fetchers, stopping),
            store.BackupUrl(s.Backup.VolumeName, s.Backup.Name))).ToList();
    }

    private void Listen()
    {
        try { _server.Start(); }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.ExportListenFailed, ErrorKind.ResourceUnavailable,
                $"Cannot listen on {Endpoint}: {e.Message}", Endpoint.ToString(),
                Endpoint.IsUnix
                    ? "Choose another -SocketPath in a folder you can write to; remove a stale socket file that no export uses."
                    : "Choose another -Port (0 picks a free one).", e);
        }
        catch (PlatformNotSupportedException e)
        {
            throw new LonghornBackupException(ErrorIds.ExportListenFailed, ErrorKind.NotImplemented, e.Message, Endpoint.ToString(),
                "Serve on a TCP port with -Port.", e);
        }
    }

    /// <summary>Closes the listener and every connection, releases the locks and the store. Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        try
        {
            // The socket file is gone and the connections are shut when StopAsync returns its task; the locks go
            // next, before the wait for the connections to wind down, so a process that ends on SIGTERM on a busy
            // machine leaves no trace behind even if it does not get the whole wait.
            var serverStopped = _server.StopAsync();
            _cancel.Cancel();
            foreach (var l in _locks) await l.ReleaseAsync().ConfigureAwait(false);
            await serverStopped.ConfigureAwait(false);
            _store.Dispose();
        }
        finally
        {
            ExportRegistry.Remove(this);
            _stopped.TrySetResult(true);
        }
    }
}
