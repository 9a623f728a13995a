using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>What to back up and how.</summary>
public sealed record BackupRequest
{
    public required string VolumeName { get; init; }
    public required string SnapshotName { get; init; }
    public required IBlockSource Source { get; init; }
    public BackupMode Mode { get; init; } = BackupMode.Incremental;
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    /// <summary>Method for a new backup volume; an existing volume keeps the method of its first backup.</summary>
    public string? CompressionMethod { get; init; }
    /// <summary>Block size; null means the volume's existing one, or 2 MiB for a new volume.</summary>
    public int? BlockSize { get; init; }
    /// <summary>Backup name; null generates Longhorn's backup-&lt;16 hex&gt;.</summary>
    public string? BackupName { get; init; }
    /// <summary>Parallel hash/compress workers; null picks one per core (at least two).</summary>
    public int? Concurrency { get; init; }
    /// <summary>Block writes in flight at once; null uses the CPU worker count (a remote store wants more).</summary>
    public int? UploadConcurrency { get; init; }
    /// <summary>
    /// Reuse checksums of blocks unchanged since the last backup from the local change cache (incremental mode only;
    /// trusted only while it matches the store's last backup exactly).
    /// </summary>
    public bool UseChangeCache { get; init; } = true;
    /// <summary>
    /// Plan only: read and hash the snapshot and compress what would be uploaded, so the result reports exactly the
    /// blocks and bytes a real run would upload, but write nothing to the store or the change cache.
    /// </summary>
    public bool DryRun { get; init; }
    /// <summary>Folder of the change cache; null uses $LONGHORNBACKUP_CACHE_DIR or the user's cache folder.</summary>
    public string? ChangeCacheDirectory { get; init; }
    /// <summary>How long to wait for a conflicting lock (a deletion) to go away; null fails at once with LockConflict.</summary>
    public TimeSpan? LockTimeout { get; init; }
}
