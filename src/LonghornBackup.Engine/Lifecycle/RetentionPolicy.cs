using System.Globalization;
using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Which backups to keep, combined as restic's <c>forget</c> combines its rules: a backup kept by any rule stays.
/// KeepLast keeps the newest N; each period rule keeps the newest backup in each of the last N hours, days, weeks
/// (ISO weeks), months or years that have backups; KeepWithin keeps every backup newer than that long before the newest one (strictly, as restic).
/// Periods are counted in <see cref="TimeZone"/> (local time by default, as restic does).
/// </summary>
public sealed record RetentionPolicy
{
    public int? KeepLast { get; init; }
    public int? KeepHourly { get; init; }
    public int? KeepDaily { get; init; }
    public int? KeepWeekly { get; init; }
    public int? KeepMonthly { get; init; }
    public int? KeepYearly { get; init; }
    public RetentionDuration? KeepWithin { get; init; }
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;

    public bool IsEmpty => KeepLast is null && KeepHourly is null && KeepDaily is null && KeepWeekly is null
                           && KeepMonthly is null && KeepYearly is null && KeepWithin is null;

    /// <summary>Throws InvalidRetention for a policy that keeps nothing or counts below 1.</summary>
    public void Validate()
    {
        if (IsEmpty)
            throw new LonghornBackupException(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument,
                "A retention policy needs at least one rule: -KeepLast, -KeepHourly, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly or -KeepWithin.", null);
        foreach (var (name, n) in new[] { ("KeepLast", KeepLast), ("KeepHourly", KeepHourly), ("KeepDaily", KeepDaily),
                     ("KeepWeekly", KeepWeekly), ("KeepMonthly", KeepMonthly), ("KeepYearly", KeepYearly) })
            if (n is < 1)
                throw new LonghornBackupException(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument,
                    $"-{name} {n} is not a retention rule: keep at least 1.", n);
    }
}

/// <summary>A restic-style duration for KeepWithin: years, months, days and hours, e.g. "2y5m7d3h".</summary>
public sealed record RetentionDuration(int Years, int Months, int Days, int Hours)
{
    private static readonly Regex Form = new(@"^\s*(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>"2y5m7d3h" (any of the parts, in that order), or a TimeSpan as PowerShell writes one ("7.00:00:00").</summary>
    public static RetentionDuration Parse(string text)
    {
        var m = Form.Match(text);
        if (m.Success && text.Trim().Length > 0)
        {
            int Part(int i) => m.Groups[i].Success ? int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            var d = new RetentionDuration(Part(1), Part(2), Part(3), Part(4));
            if (d.Years + d.Months + d.Days + d.Hours > 0) return d;
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
        {
            return new RetentionDuration(0, 0, span.Days, (int)Math.Ceiling(span.TotalHours - span.Days * 24.0));
        }
        throw new LonghornBackupException(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument,
            $"'{text}' is not a duration for -KeepWithin: write it as years, months, days and hours, e.g. 2y5m7d3h or 14d.", text);
    }

    /// <summary>The earliest time within this duration before <paramref name="newest"/>.</summary>
    public DateTimeOffset Before(DateTimeOffset newest) => newest.AddYears(-Years).AddMonths(-Months).AddDays(-Days).AddHours(-Hours);

    public override string ToString() =>
        string.Concat(Years > 0 ? $"{Years}y" : "", Months > 0 ? $"{Months}m" : "", Days > 0 ? $"{Days}d" : "", Hours > 0 ? $"{Hours}h" : "");
}
