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
