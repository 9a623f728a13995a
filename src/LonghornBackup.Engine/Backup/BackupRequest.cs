using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>What to back up and how.</summary>
public sealed class BackupRequest
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
    /// <summary>Parallel hash/compress/upload workers; null picks one per core (at least two).</summary>
    public int? Concurrency { get; init; }
    /// <summary>How long to wait for a conflicting lock (a deletion) to go away; null fails at once with LockConflict.</summary>
    public TimeSpan? LockTimeout { get; init; }
}
