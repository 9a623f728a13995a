using LonghornBackup.Engine.Statistics;
using EngineBackupStatistics = LonghornBackup.Engine.Statistics.BackupStatistics;

namespace LonghornBackup;

/// <summary>Engine statistics to Measure-LhBackup's output objects.</summary>
internal static class StatisticsMapper
{
    public static BackupVolumeStatistics ToOutput(VolumeStatistics v, string target) => new()
    {
        VolumeName = v.VolumeName,
        Size = v.Size,
        BackupCount = v.Backups.Count,
        UnreadableBackupCount = v.UnreadableBackups,
        LogicalDataSize = v.LogicalDataSize,
        ReferencedBlockCount = v.ReferencedBlocks,
        ReferencedDataSize = v.ReferencedDataSize,
        StoredSize = v.StoredSize,
        DeduplicationRatio = Math.Round(v.DeduplicationRatio, 3),
        CompressionRatio = Math.Round(v.CompressionRatio, 3),
        PoolBlockCount = v.PoolBlocks,
        PoolStoredSize = v.PoolStoredSize,
        UnreferencedBlockCount = v.UnreferencedBlocks,
        UnreferencedStoredSize = v.UnreferencedStoredSize,
        MissingBlockCount = v.MissingBlocks,
        Backups = v.Backups.Select(b => ToOutput(b, target)).ToArray(),
        Target = target,
    };

    public static BackupStatistics ToOutput(EngineBackupStatistics b, string target) => new()
    {
        Name = b.BackupName,
        VolumeName = b.VolumeName,
        CreatedAt = b.CreatedAt?.UtcDateTime,
        IsInProgress = b.IsInProgress,
        BlockSize = b.BlockSize,
        BlockCount = b.Blocks,
        DataSize = b.DataSize,
        DistinctBlockCount = b.DistinctBlocks,
        StoredSize = b.StoredSize,
        ExclusiveBlockCount = b.ExclusiveBlocks,
        ExclusiveStoredSize = b.ExclusiveStoredSize,
        MissingBlockCount = b.MissingBlocks,
        Error = b.Error ?? "",
        Target = target,
    };
}
