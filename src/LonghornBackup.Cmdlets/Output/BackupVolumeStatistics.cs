namespace LonghornBackup;

/// <summary>Measure-LhBackup's figures for one backup volume: its backups, its block pool, deduplication, compression.</summary>
public sealed class BackupVolumeStatistics
{
    public string VolumeName { get; init; } = "";
    /// <summary>The volume's size (volume.cfg).</summary>
    public long Size { get; init; }
    public int BackupCount { get; init; }
    public int UnreadableBackupCount { get; init; }
    /// <summary>Sum of the backups' DataSize: what restoring every backup would write.</summary>
    public long LogicalDataSize { get; init; }
    /// <summary>Distinct blocks the backups reference, and their uncompressed size.</summary>
    public long ReferencedBlockCount { get; init; }
    public long ReferencedDataSize { get; init; }
    /// <summary>Stored (compressed) bytes of the referenced blocks.</summary>
    public long StoredSize { get; init; }
    /// <summary>LogicalDataSize / ReferencedDataSize.</summary>
    public double DeduplicationRatio { get; init; }
    /// <summary>Uncompressed / stored size of the referenced blocks the target holds.</summary>
    public double CompressionRatio { get; init; }
    /// <summary>Every block object in the volume's pool, referenced or not.</summary>
    public long PoolBlockCount { get; init; }
    public long PoolStoredSize { get; init; }
    /// <summary>Blocks no readable backup references: the next deletion's garbage collection frees them.</summary>
    public long UnreferencedBlockCount { get; init; }
    public long UnreferencedStoredSize { get; init; }
    /// <summary>Referenced blocks the target lacks.</summary>
    public long MissingBlockCount { get; init; }
    /// <summary>Each backup's figures, oldest first.</summary>
    public BackupStatistics[] Backups { get; init; } = Array.Empty<BackupStatistics>();
    public string Target { get; init; } = "";

    public override string ToString() => VolumeName;
}
