using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Locking;

/// <summary>
/// A held lock on one backup volume, taken with Longhorn's protocol (docs/backupstore-format.md §5.1) so this module and Longhorn (and
/// several processes of this module) coordinate through the store itself: write the lock file unacquired, wait, list
/// every lock of the volume, give way to a live lock of another type with priority, else rewrite the file acquired and
/// renew it until released. Dispose releases it (deletes the file).
/// </summary>
public sealed class VolumeLock : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly LockOptions _options;
    private readonly CancellationTokenSource _stopRefresh = new();
    private readonly Task _refresher;
    private int _released;

    private VolumeLock(IObjectStore store, string volumeName, LockFile file, LockOptions options)
    {
        _store = store;
        _options = options;
        VolumeName = volumeName;
        File = file;
        Key = StorePaths.Lock(volumeName, file.Name);
        _refresher = Task.Run(RefreshAsync);
    }

    public string VolumeName { get; }
    public LockFile File { get; }
    public string Key { get; }

    /// <summary>
    /// Takes a lock of <paramref name="type"/> on the volume. A conflicting live lock fails the call with
    /// <see cref="ErrorIds.LockConflict"/> at once, or, when <paramref name="waitTimeout"/> is given, after looking
    /// again every <see cref="LockOptions.RetryInterval"/> until it expires. The waiting client keeps its lock file,
    /// so its place (its time) counts against clients that come later, as Longhorn's waiting lock did.
    /// </summary>
    /// <param name="operation">What the caller does, as a noun for the conflict message ("backup", "restore", "deletion").</param>
    /// <param name="onWritten">Called with the lock's name once its file is in the store (before the wait): from then
    /// on, others can tell this client is alive by it.</param>
    public static async Task<VolumeLock> AcquireAsync(IObjectStore store, string volumeName, LockType type, string operation,
        TimeSpan? waitTimeout, LockOptions? options, CancellationToken ct, Action<string>? onWritten = null)
    {
        options ??= LockOptions.Default;
        NameRules.ValidateVolumeNameForRead(volumeName);
        var clock = options.Clock;
        var pending = new LockFile(NameRules.NewLockName(), type, Acquired: false);
        string key = StorePaths.Lock(volumeName, pending.Name);
        var started = clock.GetUtcNow();
        bool written = false;
        try
        {
            var ownTime = await WriteAndStatAsync(store, key, pending, ct).ConfigureAwait(false);
            written = true;
            onWritten?.Invoke(pending.Name);
            await Task.Delay(options.CheckWait, clock, ct).ConfigureAwait(false);
            while (true)
            {
                var locks = await ListAsync(store, volumeName, ct).ConfigureAwait(false);
                var own = new ObservedLock(pending, ownTime);
                var now = clock.GetUtcNow();
                var blocker = LockRules.FindBlocker(own, locks, now, options.Expiry);
                if (blocker is null)
                {
                    var acquired = pending with { Acquired = true };
                    await store.WriteAsync(key, acquired.ToJson(), ct).ConfigureAwait(false);
                    return new VolumeLock(store, volumeName, acquired, options);
                }
                var waited = now - started;
                if (waitTimeout is not TimeSpan timeout || waited >= timeout)
                    throw Conflict(volumeName, operation, blocker, waitTimeout);
                var delay = options.RetryInterval < timeout - waited ? options.RetryInterval : timeout - waited;
                await Task.Delay(delay, clock, ct).ConfigureAwait(false);
                // A long wait renews the waiting claim, so others do not take it for the leftover of a dead process.
                if (clock.GetUtcNow() - ownTime >= options.RefreshInterval)
                    ownTime = await WriteAndStatAsync(store, key, pending, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            if (written) await DeleteQuietlyAsync(store, key).ConfigureAwait(false);
            if (e is OperationCanceledException && ct.IsCancellationRequested)
                throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                    $"Waiting for the lock on backup volume '{volumeName}' was cancelled.", volumeName, inner: e);
            throw;
        }
    }

    /// <summary>Every readable lock file of the volume with its time. Unreadable or vanished ones are skipped, as Longhorn does.</summary>
    public static async Task<IReadOnlyList<ObservedLock>> ListAsync(IObjectStore store, string volumeName, CancellationToken ct)
    {
        var result = new List<ObservedLock>();
        foreach (var entry in await store.ListAsync(StorePaths.LocksDir(volumeName), ct).ConfigureAwait(false))
        {
            if (entry.IsDirectory || StorePaths.LockNameFromFile(entry.Name) is not { } name) continue;
            var read = await ReadLockAsync(store, StorePaths.Lock(volumeName, name), ct).ConfigureAwait(false);
            if (read is null) continue;
            // The file name is the lock's identity (Longhorn loads it by the listed name).
            result.Add(new ObservedLock(read.Value.File with { Name = name }, read.Value.Time));
        }
        return result;
    }

    /// <summary>
    /// A lock file's content with the time of that same version; null when it is gone or unreadable. The content and
    /// the time are two requests, and a client that wins rewrites its file as acquired (with a new time) at any
    /// moment: read between two stats, and again while they differ. Pairing the old content ("not acquired") with the
    /// new, later time would let the other client's lock look weaker than it is, and both clients would take the lock.
    /// </summary>
    private static async Task<(LockFile File, DateTimeOffset Time)?> ReadLockAsync(IObjectStore store, string key, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var before = await store.StatAsync(key, ct).ConfigureAwait(false);
            if (before is null) return null;   // released while we looked
            var bytes = await store.ReadAsync(key, ct).ConfigureAwait(false);
            var after = await store.StatAsync(key, ct).ConfigureAwait(false);
            if (bytes is null || after is null) return null;
            if (before != after && attempt < 5) continue;   // rewritten while we read it
            try { return (LockFile.Parse(bytes, key), after.Value.LastModified); }
            catch (LonghornBackupException) { return null; }
        }
    }

    /// <summary>Deletes the lock file. Safe to call more than once; never throws (a lock left behind expires).</summary>
    public async Task ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _stopRefresh.Cancel();
        try { await _refresher.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stopRefresh.Dispose();
        await DeleteQuietlyAsync(_store, Key).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());

    /// <summary>Rewrites the file every refresh interval: the new modification time keeps the lock from expiring.</summary>
    private async Task RefreshAsync()
    {
        var token = _stopRefresh.Token;
        var json = File.ToJson();
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(_options.RefreshInterval, _options.Clock, token).ConfigureAwait(false);
            try { await _store.WriteAsync(Key, json, token).ConfigureAwait(false); }
            catch (LonghornBackupException) { /* as Longhorn: try again next interval; the operation itself will notice a dead store */ }
        }
    }

    private static async Task<DateTimeOffset> WriteAndStatAsync(IObjectStore store, string key, LockFile file, CancellationToken ct)
    {
        await store.WriteAsync(key, file.ToJson(), ct).ConfigureAwait(false);
        var info = await store.StatAsync(key, ct).ConfigureAwait(false);
        // The store's time is what every other client sees; a store that cannot tell it falls back to ours.
        return info?.LastModified ?? DateTimeOffset.UtcNow;
    }

    private static async Task DeleteQuietlyAsync(IObjectStore store, string key)
    {
        try { await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is LonghornBackupException or IOException) { /* the file expires after LOCK_DURATION */ }
    }

    private static LonghornBackupException Conflict(string volumeName, string operation, ObservedLock blocker, TimeSpan? waited)
    {
        string other = blocker.File.Type switch
        {
            LockType.Deletion => "a deletion",
            LockType.BackupOrRestore => "a backup or restore",
            LockType.Untyped => "an operation with an untyped lock",
            _ => $"an operation with a lock of unknown type {(int)blocker.File.Type}",
        };
        string state = blocker.File.Acquired ? "held" : "being taken";
        string wait = waited is TimeSpan w && w > TimeSpan.Zero ? $" It was still there after waiting {w.TotalSeconds:0} s." : "";
        return new LonghornBackupException(ErrorIds.LockConflict, ErrorKind.ResourceUnavailable,
            $"The {operation} of backup volume '{volumeName}' cannot start now: {other} is running on it (lock {blocker.Name}, {state}, last renewed {blocker.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC). " +
            $"Backups and restores of a volume exclude deletions of it, as in Longhorn.{wait}",
            volumeName,
            "Try again when the other operation has finished, or wait for it with -LockTimeout <seconds>. A lock left by a process that died expires 150 seconds after it was last renewed.");
    }
}
