using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>Which backups a retention rule keeps and which it deletes. <see cref="Ignored"/> are left alone.</summary>
public sealed record RetentionPlan(IReadOnlyList<BackupListing> Keep, IReadOnlyList<BackupListing> Delete, IReadOnlyList<BackupListing> Ignored);

/// <summary>
/// "Keep the newest N" for scheduled jobs: among the finished backups of a volume that carry every given label, the N
/// newest (by SnapshotCreatedAt, then in listing order) are kept and the others deleted. Backups in progress (maybe
/// running right now), unreadable ones and those without the labels are never counted and never deleted.
/// </summary>
public static class RetentionPlanner
{
    /// <param name="backups">A volume's backups, oldest first (as <see cref="BackupstoreQueries.ListBackupsAsync"/> returns them).</param>
    public static RetentionPlan Plan(IReadOnlyList<BackupListing> backups, int keepLast, IReadOnlyDictionary<string, string>? labels)
    {
        if (keepLast < 1)
            throw new LonghornBackupException(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument,
                $"Keeping {keepLast} backups is not a retention rule: keep at least 1.", keepLast);
        var candidates = new List<BackupListing>();
        var ignored = new List<BackupListing>();
        foreach (var b in backups)
        {
            if (b.Config is { IsInProgress: false } cfg && HasLabels(cfg.Labels, labels)) candidates.Add(b);
            else ignored.Add(b);
        }
        // Stable: backups started in the same second keep the listing's order.
        var newestFirst = candidates.Select((b, i) => (Backup: b, Index: i))
            .OrderByDescending(x => GoJson.ParseTime(x.Backup.Config!.SnapshotCreatedAt) ?? DateTimeOffset.MinValue)
            .ThenByDescending(x => x.Index)
            .Select(x => x.Backup).ToList();
        return new RetentionPlan(newestFirst.Take(keepLast).Reverse().ToList(), newestFirst.Skip(keepLast).Reverse().ToList(), ignored);
    }

    /// <summary>True when every label of <paramref name="filter"/> is present with the same value.</summary>
    public static bool HasLabels(IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? filter)
    {
        if (filter is null || filter.Count == 0) return true;
        if (labels is null) return false;
        foreach (var (key, value) in filter)
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        return true;
    }
}
