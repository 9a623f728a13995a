using LonghornBackup.Engine.Backup;

namespace LonghornBackup;

/// <summary>
/// What the run that made a backup did (New-LhBackup only; Get-LhBackup reads backups from the store, where only
/// the backup's own metrics are kept).
/// </summary>
public sealed class BackupRun
{
    /// <summary>Bytes of the snapshot read (holes and, in a snapshot-diff incremental, unchanged blocks are not read).</summary>
    public long BytesRead { get; init; }
    public long BlocksRead { get; init; }
    /// <summary>
    /// The snapshot of the last backup when only what changed since it was read (a snapshot-diff incremental of a
    /// replica chain); null when the whole snapshot was read.
    /// </summary>
    public string? ChangedSinceSnapshot { get; init; }
    /// <summary>Blocks holding a sector written since <see cref="ChangedSinceSnapshot"/>; null when the whole snapshot was read.</summary>
    public int? BlocksChanged { get; init; }
    public long BlocksUploaded { get; init; }
    /// <summary>Blocks the store already held, so not uploaded again.</summary>
    public long BlocksAlreadyStored { get; init; }
    public long ZeroBlocksSkipped { get; init; }

    internal static BackupRun From(BackupResult r) => new()
    {
        BytesRead = r.Counters.BytesRead,
        BlocksRead = r.Counters.BlocksRead,
        ChangedSinceSnapshot = r.DiffBaseSnapshot,
        BlocksChanged = r.BlocksChanged,
        BlocksUploaded = r.Counters.BlocksUploaded,
        BlocksAlreadyStored = r.Counters.ExistingBlocksSkipped,
        ZeroBlocksSkipped = r.Counters.ZeroBlocksSkipped,
    };

    public override string ToString() =>
        ChangedSinceSnapshot is null ? $"{BytesRead} bytes read" : $"{BytesRead} bytes read, {BlocksChanged} blocks changed since {ChangedSinceSnapshot}";
}
