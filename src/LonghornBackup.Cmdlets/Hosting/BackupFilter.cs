using LonghornBackup.Engine.Catalog;

namespace LonghornBackup.Hosting;

/// <summary>
/// Get-LhBackup's filters over one volume's backups, taken oldest first: labels, snapshot names (wildcards), creation
/// time (exclusive bounds, in UTC) and, last, the newest N completed backups of what is left.
/// </summary>
internal sealed class BackupFilter
{
    public Dictionary<string, string>? Labels { get; init; }
    public string[]? SnapshotNames { get; init; }
    public DateTime? After { get; init; }
    public DateTime? Before { get; init; }
    public int? Latest { get; init; }

    /// <summary>Whether a backup may be left out for its content, so a literal name that is not listed is no error.</summary>
    public bool NarrowsByContent =>
        Labels is not null || SnapshotNames is { Length: > 0 } || After is not null || Before is not null || Latest is not null;

    /// <summary>The readable listings that pass, in the order given; with <see cref="Latest"/>, only the newest N of them.</summary>
    public List<BackupListing> Apply(IEnumerable<BackupListing> listings)
    {
        var kept = listings.Where(b => b.Config is not null && Matches(b)).ToList();
        if (Latest is not int n) return kept;
        var completed = kept.Where(b => !b.Config!.IsInProgress).ToList();
        return completed.Skip(Math.Max(0, completed.Count - n)).ToList();
    }

    private bool Matches(BackupListing b)
    {
        var cfg = b.Config!;
        if (!LabelArguments.Matches(cfg.Labels, Labels)) return false;
        if (SnapshotNames is { Length: > 0 } && !Selection.Matches(cfg.SnapshotName, SnapshotNames)) return false;
        if (After is null && Before is null) return true;
        // Backups in progress have no creation time yet: a time bound leaves them out.
        if (Engine.Format.GoJson.ParseTime(cfg.CreatedTime)?.UtcDateTime is not DateTime created) return false;
        return (After is not DateTime after || created > after) && (Before is not DateTime before || created < before);
    }

    /// <summary>A time as given on the command line, in UTC: one without a zone is local time, as PowerShell reads it.</summary>
    public static DateTime? ToUtc(DateTime? value) =>
        value is DateTime t ? (t.Kind == DateTimeKind.Utc ? t : t.ToUniversalTime()) : null;
}
