using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// What other runs (killed ones, or ones running now) recorded as in flight in a volume (<see cref="InFlightRecord"/>):
/// the blocks a backup must not trust without reading them back. A record whose owner is gone is deleted once each of
/// its blocks is known whole again: verified or uploaded again by a later run, or no longer in the store.
/// </summary>
internal sealed class InFlightLeftovers
{
    /// <summary>One record found: its key, its content (null when it was torn: none of its blocks was ever sent), its time.</summary>
    public sealed record Entry(string Key, InFlightRecord? Record, DateTimeOffset? Time);

    private InFlightLeftovers(IReadOnlyList<Entry> entries)
    {
        Entries = entries;
        foreach (var e in entries)
            if (e.Record is { } r) Suspect.UnionWith(r.Blocks);
    }

    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Blocks named by any record: possibly torn, so read back and verified before a backup relies on them.</summary>
    public HashSet<string> Suspect { get; } = new(StringComparer.Ordinal);

    public static InFlightLeftovers None { get; } = new(Array.Empty<Entry>());

    /// <summary>Every record in the volume's in-flight folder (one listing, then the records read side by side).</summary>
    public static async Task<InFlightLeftovers> LoadAsync(IObjectStore store, string volumeName, int parallelism, CancellationToken ct)
    {
        string dir = StorePaths.InFlightDir(volumeName);
        var keys = (await store.ListAsync(dir, ct).ConfigureAwait(false))
            .Where(e => !e.IsDirectory && StorePaths.IsInFlightRecordFile(e.Name))
            .Select(e => $"{dir}/{e.Name}")
            .ToList();
        if (keys.Count == 0) return None;
        var entries = new Entry[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (i, token) =>
            {
                var bytes = await store.ReadAsync(keys[i], token).ConfigureAwait(false);
                var record = bytes is null ? null : InFlightRecord.TryParse(bytes);
                var time = record is null ? (await store.StatAsync(keys[i], token).ConfigureAwait(false))?.LastModified : null;
                entries[i] = new Entry(keys[i], record, time);
            }).ConfigureAwait(false);
        return new InFlightLeftovers(entries);
    }

    /// <summary>
    /// Deletes the records whose owner is gone (its lock file missing or expired) and whose blocks are each in
    /// <paramref name="whole"/> (verified or uploaded again by this run) or absent from <paramref name="present"/>; and
    /// torn records older than a lock's expiry (a live owner finishes writing a record long before). Never throws: a
    /// record left behind only costs the next run a verification.
    /// </summary>
    public async Task DeleteSettledAsync(IObjectStore store, string volumeName, ISet<string> whole, ISet<string> present,
        LockOptions locking, CancellationToken ct)
    {
        var now = locking.Clock.GetUtcNow();
        var owners = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var entry in Entries)
        {
            try
            {
                bool settled = entry.Record is { } record
                    ? record.Blocks.All(b => whole.Contains(b) || !present.Contains(b))
                      && !await OwnerIsAliveAsync(store, volumeName, record.OwnerLock, owners, now, locking.Expiry, ct).ConfigureAwait(false)
                    : entry.Time is { } t && now - t > locking.Expiry;
                if (settled) await store.DeleteAsync(entry.Key, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Errors.LonghornBackupException or IOException) { }
        }
    }

    private static async Task<bool> OwnerIsAliveAsync(IObjectStore store, string volumeName, string lockName,
        Dictionary<string, bool> known, DateTimeOffset now, TimeSpan expiry, CancellationToken ct)
    {
        if (known.TryGetValue(lockName, out bool alive)) return alive;
        alive = NameRules.IsValidStoreName(lockName)
                && await store.StatAsync(StorePaths.Lock(volumeName, lockName), ct).ConfigureAwait(false) is { } info
                && now - info.LastModified <= expiry;
        known[lockName] = alive;
        return alive;
    }
}
