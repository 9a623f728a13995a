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

    private VolumeLock(IObjectStore store, string volumeName, LockFile file, LockOptions options, StoreClock storeClock,
        IReadOnlyList<ObservedLock> removedLocks)
    {
        _store = store;
        _options = options;
        _storeClock = storeClock;
        VolumeName = volumeName;
        File = file;
        Key = StorePaths.Lock(volumeName, file.Name);
        RemovedLocks = removedLocks;
        _refresher = Task.Run(RefreshAsync);
    }

    private readonly StoreClock _storeClock;

    public string VolumeName { get; }
    public LockFile File { get; }
    public string Key { get; }

    /// <summary>Unreadable lock files older than the lease that taking this lock ignored and removed (each with a warning).</summary>
    public IReadOnlyList<ObservedLock> RemovedLocks { get; }

    /// <summary>
    /// "Now" on the store's clock: the time the store gave this lock's file plus the time passed since on ours. Ages of
    /// objects (their modification times) are judged with it, so a clock of this machine that is off does not count.
    /// </summary>
    public DateTimeOffset StoreNow() => _storeClock.Now(_options.Clock);

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
        var removed = new List<ObservedLock>();
        var swept = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var storeClock = await WriteAndStatAsync(store, key, pending, clock, ct).ConfigureAwait(false);
            written = true;
            onWritten?.Invoke(pending.Name);
            await Task.Delay(options.CheckWait, clock, ct).ConfigureAwait(false);
            while (true)
            {
                var locks = await ListAsync(store, volumeName, ct).ConfigureAwait(false);
                var own = new ObservedLock(pending, storeClock.OwnTime);
                var now = clock.GetUtcNow();
                var storeNow = storeClock.Now(clock);
                // A torn lock nobody renews would otherwise block the volume for ever: past the lease it goes, once.
                foreach (var stale in locks.Where(l => l.Name != pending.Name && LockRules.IsStaleUnreadable(l, storeNow, options.Expiry)))
                {
                    if (swept.Add(stale.Name) && await SweepAsync(store, volumeName, stale, storeNow, options, ct).ConfigureAwait(false))
                        removed.Add(stale);
                }
                var blocker = LockRules.FindBlocker(own, locks, now, storeNow, options.Expiry);
                if (blocker is null)
                {
                    var acquired = pending with { Acquired = true };
                    await store.WriteAsync(key, acquired.ToJson(), ct).ConfigureAwait(false);
                    return new VolumeLock(store, volumeName, acquired, options, storeClock, removed);
                }
                var waited = now - started;
                if (waitTimeout is not TimeSpan timeout || waited >= timeout)
                    throw Conflict(volumeName, operation, blocker, storeNow, options.Expiry, waitTimeout);
                var delay = options.RetryInterval < timeout - waited ? options.RetryInterval : timeout - waited;
                await Task.Delay(delay, clock, ct).ConfigureAwait(false);
                // A long wait renews the waiting claim, so others do not take it for the leftover of a dead process.
                if (storeClock.Now(clock) - storeClock.OwnTime >= options.RefreshInterval)
                    storeClock = await WriteAndStatAsync(store, key, pending, clock, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Every lock file of the volume with its time. Vanished ones are skipped; one that cannot be read (empty, not a
    /// lock's JSON, a read error) is listed with <see cref="ObservedLock.Unreadable"/> set, for the caller to treat as
    /// a lock of unknown type until it is stale. (Longhorn skips them at once; a torn write of a live lock is not
    /// skipped here while it may still be renewed.) Folders are not lock files and are skipped, as Longhorn skips them.
    /// </summary>
    public static async Task<IReadOnlyList<ObservedLock>> ListAsync(IObjectStore store, string volumeName, CancellationToken ct)
    {
        var result = new List<ObservedLock>();
        foreach (var entry in await store.ListAsync(StorePaths.LocksDir(volumeName), ct).ConfigureAwait(false))
        {
            if (entry.IsDirectory || StorePaths.LockNameFromFile(entry.Name) is not { } name) continue;
            var read = await ReadLockAsync(store, StorePaths.Lock(volumeName, name), name, ct).ConfigureAwait(false);
            if (read is not null) result.Add(read);
        }
        return result;
    }

    /// <summary>
    /// A lock file's content with the time of that same version; null when it is gone. The content and the time are
    /// two requests, and a client that wins rewrites its file as acquired (with a new time) at any moment: read
    /// between two stats, and again while they differ. Pairing the old content ("not acquired") with the new, later
    /// time would let the other client's lock look weaker than it is, and both clients would take the lock.
    /// </summary>
    private static async Task<ObservedLock?> ReadLockAsync(IObjectStore store, string key, string name, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            var before = await store.StatAsync(key, ct).ConfigureAwait(false);
            if (before is null) return null;   // released while we looked
            byte[]? bytes;
            string? failure = null;
            try { bytes = await store.ReadAsync(key, ct).ConfigureAwait(false); }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.ReadError)
            {
                bytes = null;
                failure = $"reading it failed: {e.Message}";
            }
            var after = await store.StatAsync(key, ct).ConfigureAwait(false);
            if (after is null || (bytes is null && failure is null)) return null;
            if (before != after && attempt < 5) continue;   // rewritten while we read it
            if (failure is not null) return ObservedLock.OfUnreadable(name, after.Value, failure);
            if (bytes!.Length == 0) return ObservedLock.OfUnreadable(name, after.Value, "it is empty");
            try
            {
                // The file name is the lock's identity (Longhorn loads it by the listed name).
                var file = LockFile.Parse(bytes, key) with { Name = name };
                return new ObservedLock(file, after.Value.LastModified) { Size = after.Value.Size };
            }
            catch (LonghornBackupException e) { return ObservedLock.OfUnreadable(name, after.Value, e.Message); }
        }
    }

    /// <summary>
    /// Removes an unreadable lock found stale, unless it changed since it was looked at (its holder came back and
    /// rewrote it), and says so in a warning. True when it was removed.
    /// </summary>
    private static async Task<bool> SweepAsync(IObjectStore store, string volumeName, ObservedLock stale, DateTimeOffset storeNow,
        LockOptions options, CancellationToken ct)
    {
        string key = StorePaths.Lock(volumeName, stale.Name);
        string found = $"The lock file '{key}' of backup volume '{volumeName}' cannot be read ({stale.Unreadable}) and was last " +
                       $"written {Ages.Describe(storeNow - stale.Time)} ago, longer than a lock lasts without renewal ({Ages.Describe(options.Expiry)})";
        var now = await store.StatAsync(key, ct).ConfigureAwait(false);
        if (now is null) return false;
        if (now.Value.LastModified != stale.Time || now.Value.Size != stale.Size)
            return false;   // rewritten meanwhile: the next look judges it again
        try
        {
            await store.DeleteAsync(key, ct).ConfigureAwait(false);
        }
        catch (LonghornBackupException e)
        {
            options.Warning?.Invoke($"{found}: it was ignored, but could not be removed ({e.Message}).");
            return false;
        }
        options.Warning?.Invoke($"{found}: it was ignored and removed.");
        return true;
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

    private static async Task<StoreClock> WriteAndStatAsync(IObjectStore store, string key, LockFile file, TimeProvider clock, CancellationToken ct)
    {
        await store.WriteAsync(key, file.ToJson(), ct).ConfigureAwait(false);
        var info = await store.StatAsync(key, ct).ConfigureAwait(false);
        var seen = clock.GetUtcNow();
        // The store's time is what every other client sees; a store that cannot tell it falls back to ours.
        return new StoreClock(info?.LastModified ?? seen, seen);
    }

    /// <summary>
    /// The store's clock as this lock's own file shows it: the time the store gave the file (<see cref="OwnTime"/>) and
    /// when, on our clock, we learnt it. Taken after the write, so "now" on the store is never overestimated.
    /// </summary>
    private readonly record struct StoreClock(DateTimeOffset OwnTime, DateTimeOffset SeenAt)
    {
        public DateTimeOffset Now(TimeProvider clock) => OwnTime + (clock.GetUtcNow() - SeenAt);
    }

    private static async Task DeleteQuietlyAsync(IObjectStore store, string key)
    {
        try { await store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is LonghornBackupException or IOException) { /* the file expires after LOCK_DURATION */ }
    }

    private static LonghornBackupException Conflict(string volumeName, string operation, ObservedLock blocker, DateTimeOffset storeNow,
        TimeSpan expiry, TimeSpan? waited)
    {
        string wait = waited is TimeSpan w && w > TimeSpan.Zero ? $" It was still there after waiting {w.TotalSeconds:0} s." : "";
        if (blocker.Unreadable is not null)
        {
            var left = expiry - (storeNow - blocker.Time);
            return new LonghornBackupException(ErrorIds.LockConflict, ErrorKind.ResourceUnavailable,
                $"The {operation} of backup volume '{volumeName}' cannot start now: the lock file '{StorePaths.Lock(volumeName, blocker.Name)}' " +
                $"cannot be read ({blocker.Unreadable}), so it may belong to any operation (last written {blocker.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC). " +
                $"An unreadable lock counts until it is {Ages.Describe(expiry)} old; then it is ignored and removed.{wait}",
                volumeName,
                $"Wait {Ages.Describe(left > TimeSpan.Zero ? left : TimeSpan.Zero)} (or use -LockTimeout <seconds>), or remove the file if you know no operation is running.");
        }
        string other = blocker.File.Type switch
        {
            LockType.Deletion => "a deletion",
            LockType.BackupOrRestore => "a backup or restore",
            LockType.Untyped => "an operation with an untyped lock",
            _ => $"an operation with a lock of unknown type {(int)blocker.File.Type}",
        };
        string state = blocker.File.Acquired ? "held" : "being taken";
        return new LonghornBackupException(ErrorIds.LockConflict, ErrorKind.ResourceUnavailable,
            $"The {operation} of backup volume '{volumeName}' cannot start now: {other} is running on it (lock {blocker.Name}, {state}, last renewed {blocker.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC). " +
            $"Backups and restores of a volume exclude deletions of it, as in Longhorn.{wait}",
            volumeName,
            "Try again when the other operation has finished, or wait for it with -LockTimeout <seconds>. A lock left by a process that died expires 150 seconds after it was last renewed.");
    }
}
