namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// What to clear away of interrupted runs when a volume is under the deletion lock: in-progress backups and temporary
/// files older than <see cref="InProgressOlderThan"/>, lock files past the lease, by the kinds in <see cref="Kinds"/>.
/// </summary>
public sealed record LeftoverCleanup
{
    /// <summary>A day: far longer than any backup takes to write its cfg again (they are written once, at the start).</summary>
    public static TimeSpan DefaultAge { get; } = TimeSpan.FromDays(1);

    /// <summary>
    /// An in-progress backup cfg, or a temporary file, at least this old belongs to a run that died. The deletion lock
    /// already keeps live backups away (they hold a backup lock and renew it); the age is a second guard, against a
    /// writer that takes no lock or lost it.
    /// </summary>
    public TimeSpan InProgressOlderThan { get; init; } = DefaultAge;

    /// <summary>Which leftovers found under the lock may go (those the user confirmed); null for all.</summary>
    public Func<Leftover, bool>? Approve { get; init; }

    public IReadOnlyList<ILeftoverKind> Kinds { get; init; } = LeftoverKinds.All;
}
