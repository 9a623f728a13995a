namespace LonghornBackup;

/// <summary>What one Remove-LhBackup pass over a volume did (emitted with -PassThru).</summary>
public sealed class BackupRemoval
{
    public string VolumeName { get; init; } = "";
    public string[] RemovedBackups { get; init; } = Array.Empty<string>();
    /// <summary>Whether blocks no remaining backup uses were looked for and deleted. Longhorn's rules skip it while a
    /// backup is in progress, a config cannot be read, or backups were added meanwhile; a later removal frees them.</summary>
    public bool GarbageCollected { get; init; }
    public string? GarbageCollectionSkippedReason { get; init; }
    /// <summary>Block files deleted because no remaining backup references them.</summary>
    public int BlocksFreed { get; init; }
    /// <summary>Blocks in the volume's pool afterwards (volume.cfg BlockCount); null without a readable volume.cfg.</summary>
    public long? BlockCount { get; init; }
    /// <summary>The volume's latest backup afterwards ("" when none).</summary>
    public string LastBackupName { get; init; } = "";
    /// <summary>For a retention run: the backups the policy kept, and why.</summary>
    public RetentionDecision[] Kept { get; init; } = Array.Empty<RetentionDecision>();
    /// <summary>What interrupted runs left and the pass removed: backups left in progress older than -InProgressOlderThan,
    /// stale locks, temporary files.</summary>
    public BackupLeftover[] LeftoversRemoved { get; init; } = Array.Empty<BackupLeftover>();
    public string Target { get; init; } = "";
}
