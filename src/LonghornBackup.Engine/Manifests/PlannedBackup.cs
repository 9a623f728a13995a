using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Manifests;

/// <summary>One backup a Backup manifest asks for, with every value settled (manifest, then command-line overrides).</summary>
public sealed record PlannedBackup(
    BackupManifest Manifest,
    string TargetName,
    string VolumeName,
    string SnapshotName,
    string? BackupName,
    BackupMode Mode,
    IReadOnlyDictionary<string, string> Labels,
    int? BlockSize,
    string DataPath)
{
    /// <summary>The replica directory whose chain holds the snapshot, when it is read from one instead of DataPath.</summary>
    public string? ReplicaPath { get; init; }

    /// <summary>What to open to read the snapshot: the image at DataPath, or the snapshot in the replica's chain.</summary>
    public BlockSourceSpec SourceSpec => ReplicaPath is null
        ? new BlockSourceSpec { Path = DataPath }
        : new BlockSourceSpec { ReplicaPath = ReplicaPath, SnapshotName = SnapshotName };

    /// <summary>For messages: where the snapshot is read from.</summary>
    public string SourceDescription => ReplicaPath is null ? DataPath : $"replica {ReplicaPath}";

    public BackupRequest ToRequest(IBlockSource source, string? compressionMethod = null, int? concurrency = null) => new()
    {
        VolumeName = VolumeName,
        SnapshotName = SnapshotName,
        Source = source,
        Mode = Mode,
        Labels = Labels.Count == 0 ? null : Labels,
        BlockSize = BlockSize,
        BackupName = BackupName,
        CompressionMethod = compressionMethod,
        Concurrency = concurrency,
    };
}
