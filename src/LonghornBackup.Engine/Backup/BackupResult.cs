using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>The finished backup as stored, the volume after it, and what the run did.</summary>
public sealed record BackupResult(
    BackupConfig Backup,
    VolumeConfig Volume,
    string Url,
    BackupCounters Counters,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// The snapshot of the last backup when this one read only what changed since it (a snapshot-diff incremental of
    /// a replica chain); null when the whole snapshot was read.
    /// </summary>
    public string? DiffBaseSnapshot { get; init; }
    /// <summary>Blocks holding a sector written since <see cref="DiffBaseSnapshot"/> (the blocks read); null without one.</summary>
    public int? BlocksChanged { get; init; }
}
