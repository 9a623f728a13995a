using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Catalog;

/// <summary>
/// The one order every listing of a volume's backups uses (Get-LhBackup, Test-LhBackup, retention): oldest first, as
/// the backups were taken, then those in progress or unreadable. Longhorn orders by SnapshotCreatedAt (the time the
/// backup started), which has whole seconds only; backups started in the same second are ordered by when their cfg was
/// last written (the store's clock), then by name.
/// </summary>
public static class BackupOrder
{
    public static async Task<List<T>> OldestFirstAsync<T>(Backupstore store, IReadOnlyList<T> backups,
        Func<T, (string Volume, string Name, BackupConfig? Config)> describe, CancellationToken ct) where T : notnull
    {
        var info = backups.ToDictionary(b => b, describe);
        bool Unfinished(T b) => info[b].Config is not { IsInProgress: false };
        var started = backups.ToDictionary(b => b, b => GoJson.ParseTime(info[b].Config?.SnapshotCreatedAt) ?? DateTimeOffset.MaxValue);
        var written = new Dictionary<T, DateTimeOffset>();
        foreach (var tie in backups.Where(b => !Unfinished(b)).GroupBy(b => started[b]).Where(g => g.Count() > 1).SelectMany(g => g))
        {
            var stat = await store.Store.StatAsync(StorePaths.BackupConfig(info[tie].Volume, info[tie].Name), ct).ConfigureAwait(false);
            written[tie] = stat?.LastModified ?? DateTimeOffset.MaxValue;
        }
        return backups.OrderBy(Unfinished)
                      .ThenBy(b => started[b])
                      .ThenBy(b => written.TryGetValue(b, out var t) ? t : DateTimeOffset.MinValue)
                      .ThenBy(b => info[b].Name, StringComparer.Ordinal).ToList();
    }
}
