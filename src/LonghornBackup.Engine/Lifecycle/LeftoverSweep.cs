using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>What clearing a volume's leftovers did: removed, found but not confirmed, and failed (one error each).</summary>
public sealed record LeftoverSweepResult(IReadOnlyList<Leftover> Removed, IReadOnlyList<Leftover> NotConfirmed,
    IReadOnlyList<LonghornBackupException> Errors)
{
    public static LeftoverSweepResult None { get; } = new(Array.Empty<Leftover>(), Array.Empty<Leftover>(), Array.Empty<LonghornBackupException>());
}

/// <summary>Finds a volume's leftovers with every kind of a <see cref="LeftoverCleanup"/>, and removes them under the deletion lock.</summary>
internal static class LeftoverSweep
{
    public static async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, LeftoverCleanup cleanup, CancellationToken ct)
    {
        var found = new List<Leftover>();
        foreach (var kind in cleanup.Kinds) found.AddRange(await kind.FindAsync(scan, ct).ConfigureAwait(false));
        return found;
    }

    /// <summary>
    /// Under <paramref name="held"/> (a deletion lock: no backup of this module or Longhorn runs meanwhile), finds the
    /// leftovers again, judged by the store's clock, and removes those the cleanup approves. The unreadable locks that
    /// taking the lock removed count as removed.
    /// </summary>
    public static async Task<LeftoverSweepResult> RemoveAsync(Backupstore store, string volumeName, LeftoverCleanup cleanup, VolumeLock held,
        TimeSpan lockExpiry, CancellationToken ct)
    {
        var scan = new LeftoverScan(store, volumeName, cleanup, lockExpiry, held.StoreNow(), held.Key);
        var removed = held.RemovedLocks.Select(l => StaleLockKind.Instance.Of(scan, l)).ToList();
        var notConfirmed = new List<Leftover>();
        var errors = new List<LonghornBackupException>();
        foreach (var kind in cleanup.Kinds)
        {
            foreach (var leftover in await kind.FindAsync(scan, ct).ConfigureAwait(false))
            {
                if (cleanup.Approve is { } approve && !approve(leftover))
                {
                    notConfirmed.Add(leftover);
                    continue;
                }
                try
                {
                    if (await kind.RemoveAsync(scan, leftover, ct).ConfigureAwait(false)) removed.Add(leftover);
                }
                catch (LonghornBackupException e) when (e.Kind is ErrorKind.WriteError or ErrorKind.ReadError or ErrorKind.PermissionDenied)
                {
                    errors.Add(new LonghornBackupException(e.ErrorId, e.Kind,
                        $"The {kind.Noun} '{leftover.Name}' of backup volume '{volumeName}' ({leftover.Detail}) could not be removed: {e.Message}",
                        leftover.Key, e.RecommendedAction ?? "Check the store's permissions and run Repair-LhBackupVolume again.", e));
                }
            }
        }
        return new LeftoverSweepResult(removed, notConfirmed, errors);
    }
}
