namespace LonghornBackup.Engine.Locking;

/// <summary>A lock file as found in the store, with its time (the object's modification time).</summary>
public sealed record ObservedLock(LockFile File, DateTimeOffset Time)
{
    public string Name => File.Name;
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

    /// <summary>The lock that keeps <paramref name="own"/> from being acquired (the one with most priority), or null.</summary>
    public static ObservedLock? FindBlocker(ObservedLock own, IEnumerable<ObservedLock> locks, DateTimeOffset now, TimeSpan expiry) =>
        locks.Where(l => l.Name != own.Name
                         && l.File.Type != own.File.Type
                         && Compare(l, own) < 0
                         && !IsExpired(l, now, expiry))
             .OrderBy(l => l, Comparer<ObservedLock>.Create(Compare))
             .FirstOrDefault();
}
