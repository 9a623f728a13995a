using System.Globalization;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Retention policies as restic's forget combines them, checked against expectations computed another way (grouping
/// by period and taking each period's newest), over two years of daily backups.
/// </summary>
public sealed class RetentionPolicyTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    private static BackupListing Backup(DateTimeOffset time, int i, Dictionary<string, string>? labels = null) =>
        new("vol", $"backup-{i:x16}", "", new BackupConfig
        {
            Name = $"backup-{i:x16}", VolumeName = "vol", SnapshotCreatedAt = GoJson.FormatTime(time), CreatedTime = GoJson.FormatTime(time.AddMinutes(5)),
            Labels = labels,
        }, null);

    /// <summary>A backup every day at 02:00 UTC from 2024-12-03 to 2026-12-03, oldest first.</summary>
    private static List<(BackupListing Backup, DateTimeOffset Time)> TwoYearsOfDailies()
    {
        var start = new DateTimeOffset(2024, 12, 3, 2, 0, 0, TimeSpan.Zero);
        return Enumerable.Range(0, 731).Select(i => (Backup(start.AddDays(i), i), start.AddDays(i))).ToList();
    }

    /// <summary>The newest backup of each of the newest <paramref name="n"/> periods, by another route than the planner's.</summary>
    private static IEnumerable<string> NewestPerPeriod(List<(BackupListing Backup, DateTimeOffset Time)> all, int n, Func<DateTimeOffset, string> period) =>
        all.GroupBy(x => period(x.Time)).Select(g => g.MaxBy(x => x.Time)).OrderByDescending(x => x.Time).Take(n).Select(x => x.Backup.BackupName);

    [Fact]
    public void Daily_weekly_monthly_yearly_over_two_years_keep_exactly_each_periods_newest()
    {
        var history = TwoYearsOfDailies();
        var policy = new RetentionPolicy { KeepDaily = 7, KeepWeekly = 5, KeepMonthly = 12, KeepYearly = 3, TimeZone = Utc };
        var plan = RetentionPlanner.Plan(history.Select(h => h.Backup).ToList(), policy, null, null);

        var expected = NewestPerPeriod(history, 7, t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Union(NewestPerPeriod(history, 5, t => $"{ISOWeek.GetYear(t.UtcDateTime)}/{ISOWeek.GetWeekOfYear(t.UtcDateTime)}"))
            .Union(NewestPerPeriod(history, 12, t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture)))
            .Union(NewestPerPeriod(history, 3, t => t.ToString("yyyy", CultureInfo.InvariantCulture)))
            .ToHashSet();
        Assert.Equal(expected.Order(), plan.Keep.Select(b => b.BackupName).Order());
        Assert.Equal(731 - expected.Count, plan.Delete.Count);
        // The newest backup is the newest of its day, week, month and year.
        Assert.Equal(new[] { "daily", "weekly", "monthly", "yearly" }, plan.KeptBy[history[^1].Backup.BackupName]);
        // 2024-12-31 is the newest backup of 2024: kept as that year's.
        Assert.Contains("yearly", plan.KeptBy[history.Single(h => h.Time.Date == new DateTime(2024, 12, 31)).Backup.BackupName]);
    }

    [Fact]
    public void KeepLast_and_KeepWithin_count_from_the_newest_backup()
    {
        var history = TwoYearsOfDailies();
        var plan = RetentionPlanner.Plan(history.Select(h => h.Backup).ToList(),
            new RetentionPolicy { KeepLast = 3, KeepWithin = RetentionDuration.Parse("1m14d"), TimeZone = Utc }, null, null);
        var newest = history[^1].Time;
        // Strictly after the cut, as restic.
        var expected = history.Where(h => h.Time > newest.AddMonths(-1).AddDays(-14)).Select(h => h.Backup.BackupName).ToHashSet();
        Assert.Equal(expected.Order(), plan.Keep.Select(b => b.BackupName).Order());
        Assert.Equal(new[] { "last", "within 1m14d" }, plan.KeptBy[history[^1].Backup.BackupName]);
        Assert.Equal(new[] { "within 1m14d" }, plan.KeptBy[history[^4].Backup.BackupName]);
    }

    [Fact]
    public void Days_are_counted_in_the_policys_time_zone()
    {
        // 22:30 UTC on three days: in UTC+2 each is the next day, 00:30; with one more at 01:00 UTC on the last day.
        var times = new[] { "2026-12-01T22:30:00Z", "2026-12-02T22:30:00Z", "2026-12-03T01:00:00Z", "2026-12-03T22:30:00Z" }
            .Select(s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var backups = times.Select((t, i) => Backup(t, i)).ToList();
        var plus2 = TimeZoneInfo.CreateCustomTimeZone("UTC+2", TimeSpan.FromHours(2), "UTC+2", "UTC+2");
        // UTC: days 1, 2, 3, 3 -> the newest of each of 2 days: #3 (Dec 3) and #1 (Dec 2).
        Assert.Equal(new[] { backups[1].BackupName, backups[3].BackupName },
            RetentionPlanner.Plan(backups, new RetentionPolicy { KeepDaily = 2, TimeZone = Utc }, null, null).Keep.Select(b => b.BackupName));
        // UTC+2: days 2, 3, 3, 4 -> #3 (Dec 4) and #2 (Dec 3, 03:00 local, newer than #1's 00:30).
        Assert.Equal(new[] { backups[2].BackupName, backups[3].BackupName },
            RetentionPlanner.Plan(backups, new RetentionPolicy { KeepDaily = 2, TimeZone = plus2 }, null, null).Keep.Select(b => b.BackupName));
    }

    [Fact]
    public void Grouped_by_a_label_each_group_keeps_its_own()
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var backups = Enumerable.Range(0, 6).Select(i => Backup(start.AddHours(i), i,
            new Dictionary<string, string> { ["RecurringJob"] = i % 2 == 0 ? "hourly" : "nightly" })).ToList();
        var plan = RetentionPlanner.Plan(backups, new RetentionPolicy { KeepLast = 1, TimeZone = Utc }, null, new[] { "RecurringJob" });
        Assert.Equal(new[] { backups[4].BackupName, backups[5].BackupName }, plan.Keep.Select(b => b.BackupName));
    }

    [Fact]
    public void In_progress_and_unreadable_backups_are_neither_counted_nor_removed()
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var backups = Enumerable.Range(0, 3).Select(i => Backup(start.AddDays(i), i)).ToList();
        backups.Add(new BackupListing("vol", "backup-running", "", new BackupConfig { Name = "backup-running", CreatedTime = "" }, null));
        backups.Add(new BackupListing("vol", "backup-broken", "", null, new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData, "bad", null)));
        var plan = RetentionPlanner.Plan(backups, new RetentionPolicy { KeepLast = 1, TimeZone = Utc }, null, null);
        Assert.Equal(new[] { backups[2].BackupName }, plan.Keep.Select(b => b.BackupName));
        Assert.Equal(new[] { backups[0].BackupName, backups[1].BackupName }, plan.Delete.Select(b => b.BackupName));
        Assert.Equal(new[] { "backup-running", "backup-broken" }, plan.Ignored.Select(b => b.BackupName));
    }

    [Theory]
    [InlineData("2y5m7d3h", 2, 5, 7, 3)]
    [InlineData("14d", 0, 0, 14, 0)]
    [InlineData("36h", 0, 0, 0, 36)]
    [InlineData("7.00:00:00", 0, 0, 7, 0)]
    [InlineData("1.12:00:00", 0, 0, 1, 12)]
    public void Durations_parse_as_restic_writes_them(string text, int y, int m, int d, int h) =>
        Assert.Equal(new RetentionDuration(y, m, d, h), RetentionDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0d")]
    [InlineData("7days")]
    [InlineData("d7")]
    [InlineData("-1d")]
    public void A_bad_duration_is_refused(string text) =>
        Assert.Equal(ErrorIds.InvalidRetention, Assert.Throws<LonghornBackupException>(() => RetentionDuration.Parse(text)).ErrorId);

    [Fact]
    public void A_policy_without_rules_or_with_a_zero_count_is_refused()
    {
        var none = new List<BackupListing>();
        Assert.Equal(ErrorIds.InvalidRetention, Assert.Throws<LonghornBackupException>(() => RetentionPlanner.Plan(none, new RetentionPolicy(), null, null)).ErrorId);
        Assert.Equal(ErrorIds.InvalidRetention, Assert.Throws<LonghornBackupException>(() => RetentionPlanner.Plan(none, new RetentionPolicy { KeepDaily = 0 }, null, null)).ErrorId);
    }
}
