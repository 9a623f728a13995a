namespace LonghornBackup;

/// <summary>What Repair-LhBackupVolume did to one backup volume: the leftovers removed and the blocks freed.</summary>
public sealed class BackupVolumeRepair
{
    public string VolumeName { get; init; } = "";
    /// <summary>In-progress backups of dead runs, stale locks and temporary files removed.</summary>
    public BackupLeftover[] Removed { get; init; } = Array.Empty<BackupLeftover>();
    /// <summary>Whether blocks no backup uses were looked for and deleted; not while a backup stays in progress, a config
    /// cannot be read, or garbage collection was not confirmed.</summary>
    public bool GarbageCollected { get; init; }
    public string? GarbageCollectionSkippedReason { get; init; }
    /// <summary>Block files deleted because no backup references them.</summary>
    public int BlocksFreed { get; init; }
    /// <summary>Stored bytes of those block files.</summary>
    public long BytesFreed { get; init; }
    /// <summary>Blocks in the volume's pool afterwards (volume.cfg BlockCount); null without a readable volume.cfg.</summary>
    public long? BlockCount { get; init; }
    public string Target { get; init; } = "";
}
