namespace LonghornBackup.Engine.Lifecycle;

/// <summary>Which backups of a volume to verify, and how thoroughly.</summary>
public sealed class VerificationRequest
{
    public required string VolumeName { get; init; }
    /// <summary>Backups to check; null checks every backup of the volume.</summary>
    public IReadOnlyCollection<string>? BackupNames { get; init; }
    /// <summary>Read, decompress and checksum every referenced block (each once), instead of only checking it exists.</summary>
    public bool Deep { get; init; }
    /// <summary>The blocks a deep check reads (null: all). Missing blocks are found in every block regardless: that takes one listing.</summary>
    public BlockShare? Share { get; init; }
    /// <summary>Parallel block readers for a deep check; null picks one per core (at least two).</summary>
    public int? Concurrency { get; init; }
    /// <summary>How long to wait for a conflicting lock (a deletion) to go away; null fails at once with LockConflict.</summary>
    public TimeSpan? LockTimeout { get; init; }
}
