using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// A lock file older than Longhorn's lease (docs/backupstore-format.md §5.1): its holder would have renewed it, so it died. Every client
/// ignores such a lock, but nobody deletes it; readable or not, it goes.
/// </summary>
internal sealed class StaleLockKind : ILeftoverKind
{
    public static StaleLockKind Instance { get; } = new();

    public string Name => "Lock";
    public string Noun => "stale lock";

    public async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct)
    {
        var found = new List<Leftover>();
        foreach (var l in await VolumeLock.ListAsync(scan.Store.Store, scan.VolumeName, ct).ConfigureAwait(false))
        {
            var leftover = Of(scan, l);
            if (leftover.Key != scan.OwnLockKey && leftover.Age > scan.LockExpiry) found.Add(leftover);
        }
        return found;
    }

    /// <summary>A lock file as a leftover (also one that taking the lock removed itself, being unreadable and stale).</summary>
    public Leftover Of(LeftoverScan scan, ObservedLock l)
    {
        var age = scan.AgeOf(l.Time);
        string what = l.Unreadable is not null ? $"unreadable ({l.Unreadable})"
            : $"{(l.File.Acquired ? "held" : "waiting")} {(l.File.Type == LockType.Deletion ? "deletion" : l.File.Type == LockType.BackupOrRestore ? "backup or restore" : "untyped")} lock";
        return new Leftover(Name, StorePaths.Lock(scan.VolumeName, l.Name), l.Name, l.Time, age, l.Size,
            $"{what}, last {(l.Unreadable is null ? "renewed" : "written")} {Ages.Describe(age)} ago");
    }

    public Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct) =>
        LeftoverKinds.DeleteIfUnchangedAsync(scan, leftover, ct);
}
