using System.Globalization;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Which backups a retention policy keeps and which it deletes; <see cref="Ignored"/> are left alone. KeptBy gives,
/// for each kept backup, the rules that keep it ("last", "daily", "within 7d", ...).
/// </summary>
public sealed record RetentionPlan(IReadOnlyList<BackupListing> Keep, IReadOnlyList<BackupListing> Delete, IReadOnlyList<BackupListing> Ignored)
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> KeptBy { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to a volume's backups. Only finished backups carrying every given label
/// are counted (by SnapshotCreatedAt, then listing order); backups in progress (maybe running right now), unreadable
/// ones and those without the labels are never counted and never deleted. With group labels, each combination of
/// their values is a group of its own, as restic groups by host and paths.
/// </summary>
public static class RetentionPlanner
{
    /// <summary>"Keep the newest N" (KeepLast alone).</summary>
    public static RetentionPlan Plan(IReadOnlyList<BackupListing> backups, int keepLast, IReadOnlyDictionary<string, string>? labels) =>
        Plan(backups, new RetentionPolicy { KeepLast = keepLast }, labels, null);

    /// <param name="backups">A volume's backups, oldest first (as <see cref="BackupstoreQueries.ListBackupsAsync"/> returns them).</param>
    public static RetentionPlan Plan(IReadOnlyList<BackupListing> backups, RetentionPolicy policy, IReadOnlyDictionary<string, string>? labels,
        IReadOnlyCollection<string>? groupByLabels)
    {
        policy.Validate();
        var candidates = new List<(BackupListing Backup, int Index)>();
        var ignored = new List<BackupListing>();
        foreach (var b in backups)
        {
            if (b.Config is { IsInProgress: false } cfg && HasLabels(cfg.Labels, labels)) candidates.Add((b, candidates.Count));
            else ignored.Add(b);
        }
        var keptBy = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var groups = candidates.GroupBy(c => GroupKey(c.Backup, groupByLabels), StringComparer.Ordinal);
        foreach (var group in groups)
        {
            // Newest first; backups started in the same second keep the listing's order.
            var newestFirst = group
                .Select(c => (c.Backup, c.Index, Time: GoJson.ParseTime(c.Backup.Config!.SnapshotCreatedAt) ?? DateTimeOffset.MinValue))
                .OrderByDescending(x => x.Time).ThenByDescending(x => x.Index).ToList();
            foreach (var (name, reasons) in Apply(policy, newestFirst.Select(x => (x.Backup.BackupName, x.Time)).ToList()))
                keptBy[name] = reasons;
        }
        // Both lists oldest first by time (then listing order), as Get-LhBackup shows backups.
        var oldestFirst = candidates.OrderBy(c => GoJson.ParseTime(c.Backup.Config!.SnapshotCreatedAt) ?? DateTimeOffset.MinValue)
            .ThenBy(c => c.Index).Select(c => c.Backup).ToList();
        var keep = oldestFirst.Where(b => keptBy.ContainsKey(b.BackupName)).ToList();
        var delete = oldestFirst.Where(b => !keptBy.ContainsKey(b.BackupName)).ToList();
        return new RetentionPlan(keep, delete, ignored) { KeptBy = keptBy };
    }

    /// <summary>The kept backups of one group (given newest first) with the rules that keep each, as restic decides.</summary>
    private static Dictionary<string, IReadOnlyList<string>> Apply(RetentionPolicy policy, IReadOnlyList<(string Name, DateTimeOffset Time)> newestFirst)
    {
        var rules = new List<PeriodRule>();
        if (policy.KeepLast is { } last) rules.Add(new PeriodRule("last", last, (_, i) => i.ToString(CultureInfo.InvariantCulture)));
        if (policy.KeepHourly is { } h) rules.Add(new PeriodRule("hourly", h, (t, _) => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture)));
        if (policy.KeepDaily is { } d) rules.Add(new PeriodRule("daily", d, (t, _) => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        if (policy.KeepWeekly is { } w) rules.Add(new PeriodRule("weekly", w, (t, _) => $"{IsoWeek.Year(t)}-W{IsoWeek.Week(t)}"));
        if (policy.KeepMonthly is { } mo) rules.Add(new PeriodRule("monthly", mo, (t, _) => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)));
        if (policy.KeepYearly is { } y) rules.Add(new PeriodRule("yearly", y, (t, _) => t.ToString("yyyy", CultureInfo.InvariantCulture)));
        var within = policy.KeepWithin is { } span && newestFirst.Count > 0 ? span.Before(newestFirst[0].Time) : (DateTimeOffset?)null;

        var kept = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < newestFirst.Count; i++)
        {
            var (name, time) = newestFirst[i];
            var local = TimeZoneInfo.ConvertTime(time, policy.TimeZone).DateTime;
            var reasons = new List<string>();
            foreach (var rule in rules)
            {
                // A period counts once: its newest backup is kept, the rest of the period is not counted again.
                string bucket = rule.Bucket(local, i);
                if (rule.Left > 0 && bucket != rule.Last)
                {
                    rule.Left--;
                    rule.Last = bucket;
                    reasons.Add(rule.Name);
                }
            }
            if (within is { } since && time > since) reasons.Add($"within {policy.KeepWithin}");
            if (reasons.Count > 0) kept[name] = reasons;
        }
        return kept;
    }

    private sealed class PeriodRule(string name, int count, Func<DateTime, int, string> bucket)
    {
        public string Name { get; } = name;
        public Func<DateTime, int, string> Bucket { get; } = bucket;
        public int Left { get; set; } = count;
        public string? Last { get; set; }
    }

    private static string GroupKey(BackupListing b, IReadOnlyCollection<string>? groupByLabels) =>
        groupByLabels is null || groupByLabels.Count == 0 ? ""
            : string.Join("\n", groupByLabels.Select(k => k + "=" + (b.Config!.Labels?.GetValueOrDefault(k) ?? "")));

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
