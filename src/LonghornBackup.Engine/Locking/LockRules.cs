using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Locking;

/// <summary>A lock file as found in the store, with its time (the object's modification time).</summary>
public sealed record ObservedLock(LockFile File, DateTimeOffset Time)
{
    public string Name => File.Name;

    /// <summary>
    /// Why the lock file cannot be read (it is empty, not a lock's JSON, or reading it failed); null for a readable
    /// lock. Its type and state are unknown, so until it is stale it stands for a held lock that conflicts with every
    /// operation (<see cref="LockRules.FindBlocker(ObservedLock, IEnumerable{ObservedLock}, DateTimeOffset, DateTimeOffset, TimeSpan)"/>).
    /// </summary>
    public string? Unreadable { get; init; }

    /// <summary>The object's size in bytes, from the same look as <see cref="Time"/>.</summary>
    public long Size { get; init; }

    /// <summary>A lock file that cannot be read: an acquired lock of no known type, at the object's time.</summary>
    public static ObservedLock OfUnreadable(string name, ObjectInfo info, string reason) =>
        new(new LockFile(name, LockType.Untyped, Acquired: true), info.LastModified) { Unreadable = reason, Size = info.Size };
}

/// <summary>
/// Longhorn's rule for who may take a lock (backupstore lock.go canAcquire/compareLocks, docs/backupstore-format.md §5.1): a lock cannot be
/// acquired while another lock of a different type has priority over it and has not expired.
/// </summary>
internal static class LockRules
{
    /// <summary>Negative when <paramref name="a"/> has priority: acquired before unacquired, then the earlier time,
    /// then the smaller name (byte order, as Go's strings.Compare).</summary>
    public static int Compare(ObservedLock a, ObservedLock b)
    {
        if (a.File.Acquired != b.File.Acquired) return a.File.Acquired ? -1 : 1;
        int byTime = a.Time.UtcTicks.CompareTo(b.Time.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.Name, b.Name);
    }

    public static bool IsExpired(ObservedLock l, DateTimeOffset now, TimeSpan expiry) => now - l.Time > expiry;

    /// <summary>
    /// An unreadable lock whose object is older than the lease by the store's own clock (<paramref name="storeNow"/>):
    /// every holder rewrites its lock well within the lease, so nobody holds this one; it is what a torn write left.
    /// The store's clock, not ours, because the lock carries no time of its own to compare and this machine's clock
    /// may be off; Longhorn simply skips such files.
    /// </summary>
    public static bool IsStaleUnreadable(ObservedLock l, DateTimeOffset storeNow, TimeSpan expiry) =>
        l.Unreadable is not null && storeNow - l.Time > expiry;

    /// <summary>The lock that keeps <paramref name="own"/> from being acquired (the one with most priority), or null.</summary>
    public static ObservedLock? FindBlocker(ObservedLock own, IEnumerable<ObservedLock> locks, DateTimeOffset now, TimeSpan expiry) =>
        FindBlocker(own, locks, now, now, expiry);

    /// <summary>
    /// The lock that keeps <paramref name="own"/> from being acquired, or null: a readable lock by Longhorn's rule (on
    /// this machine's clock, <paramref name="now"/>), or an unreadable lock that is not yet stale (on the store's clock,
    /// <paramref name="storeNow"/>), whatever its priority: it may belong to any operation.
    /// </summary>
    public static ObservedLock? FindBlocker(ObservedLock own, IEnumerable<ObservedLock> locks, DateTimeOffset now, DateTimeOffset storeNow,
        TimeSpan expiry) =>
        locks.Where(l => l.Name != own.Name
                         && (l.Unreadable is not null
                             ? !IsStaleUnreadable(l, storeNow, expiry)
                             : l.File.Type != own.File.Type && Compare(l, own) < 0 && !IsExpired(l, now, expiry)))
             .OrderBy(l => l, Comparer<ObservedLock>.Create(Compare))
             .FirstOrDefault();
}
