namespace LonghornBackup.Engine.Statistics;

/// <summary>
/// What one backup holds and costs, from its cfg and the sizes of the block pool's objects (no block is read).
/// </summary>
public sealed record BackupStatistics
{
    public required string VolumeName { get; init; }
    public required string BackupName { get; init; }
    /// <summary>When the backup finished (its cfg's CreatedTime); null while in progress or unreadable.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    public bool IsInProgress { get; init; }
    public long BlockSize { get; init; }
    /// <summary>Entries of the block map.</summary>
    public long Blocks { get; init; }
    /// <summary>Blocks × block size: the data a restore writes.</summary>
    public long DataSize { get; init; }
    /// <summary>Distinct blocks the backup references.</summary>
    public long DistinctBlocks { get; init; }
    /// <summary>Bytes the target holds for the backup's distinct blocks (compressed, as stored).</summary>
    public long StoredSize { get; init; }
    /// <summary>Blocks only this backup references.</summary>
    public long ExclusiveBlocks { get; init; }
    /// <summary>Stored bytes of the blocks only this backup references: what removing it would free.</summary>
    public long ExclusiveStoredSize { get; init; }
    /// <summary>Distinct blocks the map names that the pool lacks (a damaged backup: see Test-LhBackup).</summary>
    public long MissingBlocks { get; init; }
    /// <summary>Why the backup's cfg could not be read; null when it was.</summary>
    public string? Error { get; init; }
}

/// <summary>A backup volume's figures: its backups, its block pool, deduplication and compression.</summary>
public sealed record VolumeStatistics
{
    public required string VolumeName { get; init; }
    /// <summary>The volume's size in its volume.cfg (0 when that is missing).</summary>
    public long Size { get; init; }
    public IReadOnlyList<BackupStatistics> Backups { get; init; } = Array.Empty<BackupStatistics>();
    public int UnreadableBackups { get; init; }
    /// <summary>Sum of every backup's <see cref="BackupStatistics.DataSize"/>: what restoring them all would write.</summary>
    public long LogicalDataSize { get; init; }
    /// <summary>Distinct blocks any backup references.</summary>
    public long ReferencedBlocks { get; init; }
    /// <summary>Uncompressed size of the distinct referenced blocks.</summary>
    public long ReferencedDataSize { get; init; }
    /// <summary>Stored (compressed) bytes of the distinct referenced blocks.</summary>
    public long StoredSize { get; init; }
    /// <summary>Every block object in the pool, referenced or not.</summary>
    public long PoolBlocks { get; init; }
    public long PoolStoredSize { get; init; }
    /// <summary>Blocks no readable backup references (left by an interrupted deletion; the next deletion's GC frees them).</summary>
    public long UnreferencedBlocks { get; init; }
    public long UnreferencedStoredSize { get; init; }
    /// <summary>Referenced blocks the pool lacks.</summary>
    public long MissingBlocks { get; init; }
    /// <summary>LogicalDataSize / ReferencedDataSize: how many times each stored block is used on average (0 without data).</summary>
    public double DeduplicationRatio => ReferencedDataSize == 0 ? 0 : (double)LogicalDataSize / ReferencedDataSize;
    /// <summary>Uncompressed / stored size of the referenced blocks the pool holds (0 without data).</summary>
    public double CompressionRatio { get; init; }
}
