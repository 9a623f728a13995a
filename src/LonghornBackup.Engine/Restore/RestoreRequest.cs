namespace LonghornBackup.Engine.Restore;

/// <summary>Which backup to restore, and where.</summary>
public sealed class RestoreRequest
{
    public required string VolumeName { get; init; }
    public required string BackupName { get; init; }
    /// <summary>A file (written sparse, replaced atomically) or a block device (written in place).</summary>
    public required string OutputPath { get; init; }
    /// <summary>Replace an existing file, or write over a device.</summary>
    public bool Overwrite { get; init; }
    /// <summary>Parallel download/verify workers; null picks one per core (at least two).</summary>
    public int? Concurrency { get; init; }
    /// <summary>How long to wait for a conflicting lock (a deletion) to go away; null fails at once with LockConflict.</summary>
    public TimeSpan? LockTimeout { get; init; }
    /// <summary>
    /// Restore blocks mapped at or beyond the volume's recorded size by making the image as large as the backup needs;
    /// without it such a backup is refused (BlocksBeyondVolumeSize), never restored truncated.
    /// </summary>
    public bool IncludeBlocksBeyondVolumeSize { get; init; }
    /// <summary>
    /// A salvage restore: a block missing from the store or failing its checksum on every read is written as zeros and
    /// reported (RestoreResult.DamagedBlocks) instead of failing the restore, so the rest can be restored and checked.
    /// </summary>
    public bool SkipCorruptBlocks { get; init; }
}
