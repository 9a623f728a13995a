using System.Globalization;
using System.Text.Json.Serialization;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// A retention policy as a target keeps it (targets.json) or a runbook writes it (a hashtable, a .psd1 file): the
/// -Keep* rules with the label filter and grouping they apply to, in plain values that round-trip through JSON.
/// <see cref="ToPolicy"/> checks it and gives the <see cref="RetentionPolicy"/> the planner applies.
/// </summary>
public sealed record RetentionRules
{
    /// <summary>The names a policy may hold, in the order they are shown; anything else is refused as a typo.</summary>
    public static readonly IReadOnlyList<string> Names = new[]
    {
        nameof(KeepLast), nameof(KeepHourly), nameof(KeepDaily), nameof(KeepWeekly), nameof(KeepMonthly), nameof(KeepYearly),
        nameof(KeepWithin), nameof(Label), nameof(GroupByLabel), nameof(Utc),
    };

    public int? KeepLast { get; init; }
    public int? KeepHourly { get; init; }
    public int? KeepDaily { get; init; }
    public int? KeepWeekly { get; init; }
    public int? KeepMonthly { get; init; }
    public int? KeepYearly { get; init; }
    /// <summary>A restic-style duration ("2y5m7d3h", "30d"); kept as text so the file shows what was given.</summary>
    public string? KeepWithin { get; init; }
    /// <summary>Only backups carrying all these labels are counted and removed.</summary>
    public Dictionary<string, string>? Label { get; init; }
    /// <summary>The rules apply to each combination of these labels' values separately.</summary>
    public string[]? GroupByLabel { get; init; }
    /// <summary>Periods counted in UTC; false: local time, as restic counts them.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Utc { get; init; }

    /// <summary>The policy the planner applies; throws InvalidRetention for rules that keep nothing or cannot be read.</summary>
    public RetentionPolicy ToPolicy()
    {
        var policy = new RetentionPolicy
        {
            KeepLast = KeepLast, KeepHourly = KeepHourly, KeepDaily = KeepDaily, KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly, KeepYearly = KeepYearly,
            KeepWithin = KeepWithin is null ? null : RetentionDuration.Parse(KeepWithin),
            TimeZone = Utc ? TimeZoneInfo.Utc : TimeZoneInfo.Local,
        };
        policy.Validate();
        if (GroupByLabel is { } groups && groups.Any(string.IsNullOrWhiteSpace))
            throw new LonghornBackupException(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument,
                "GroupByLabel names an empty label.", GroupByLabel);
        return policy;
    }

    /// <summary>"KeepDaily=7, KeepWeekly=4, KeepWithin=30d, Label=RecurringJob=daily, GroupByLabel=app, Utc": the rules as one line.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        void Add(string name, int? n) { if (n is { } v) parts.Add($"{name}={v.ToString(CultureInfo.InvariantCulture)}"); }
        Add(nameof(KeepLast), KeepLast);
        Add(nameof(KeepHourly), KeepHourly);
        Add(nameof(KeepDaily), KeepDaily);
        Add(nameof(KeepWeekly), KeepWeekly);
        Add(nameof(KeepMonthly), KeepMonthly);
        Add(nameof(KeepYearly), KeepYearly);
        if (KeepWithin is not null) parts.Add($"{nameof(KeepWithin)}={KeepWithin}");
        if (Label is { Count: > 0 }) parts.Add($"{nameof(Label)}={string.Join(";", Label.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))}");
        if (GroupByLabel is { Length: > 0 }) parts.Add($"{nameof(GroupByLabel)}={string.Join(";", GroupByLabel)}");
        if (Utc) parts.Add(nameof(Utc));
        return string.Join(", ", parts);
    }

    public bool Equals(RetentionRules? other) => other is not null && ToString() == other.ToString();

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
