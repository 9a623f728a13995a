using LonghornBackup.Engine.Format;

namespace LonghornBackup;

/// <summary>Turns engine records into the public output types: engine types never reach the pipeline.</summary>
internal static class OutputMapper
{
    public static Backup ToBackup(BackupConfig cfg, VolumeConfig? volume, string url, string target)
    {
        string? mode = cfg.Mode switch
        {
            "full" => "Full",
            "incremental" => "Incremental",
            "" when cfg.Parameters is not null => "Incremental",   // Longhorn sends an empty mode for incremental
            _ => null,
        };
        return new Backup
        {
            Name = cfg.Name,
            VolumeName = cfg.VolumeName.Length > 0 ? cfg.VolumeName : volume?.Name ?? "",
            SnapshotName = cfg.SnapshotName,
            BackupMode = mode,
            State = cfg.IsInProgress ? "InProgress" : "Completed",
            Labels = Sorted(cfg.Labels),
            Url = url,
            Size = cfg.Size,
            NewlyUploadedDataSize = cfg.NewlyUploadedDataSize,
            ReUploadedDataSize = cfg.ReUploadedDataSize,
            CompressionMethod = cfg.IsInProgress && cfg.CompressionMethod.Length == 0 ? "" : cfg.EffectiveCompressionMethod,
            BlockSize = cfg.BlockSize ?? 0,
            BlockCount = cfg.BlockCount,
            IsIncremental = cfg.IsIncremental,
            CreatedAt = Time(cfg.CreatedTime),
            SnapshotCreatedAt = Time(cfg.SnapshotCreatedAt),
            VolumeSize = volume?.Size ?? 0,
            VolumeCreatedAt = volume is null ? null : Time(volume.CreatedTime),
            Target = target,
        };
    }

    public static Backup ErrorBackup(string volumeName, string backupName, string url, string target, string error) => new()
    {
        Name = backupName,
        VolumeName = volumeName,
        State = "Error",
        Url = url,
        Target = target,
        Error = error,
    };

    public static BackupVolume ToVolume(VolumeConfig v, int backupCount, string url, string target) => new()
    {
        Name = v.Name,
        Size = v.Size,
        Labels = Sorted(v.Labels),
        CreatedAt = Time(v.CreatedTime),
        LastBackupName = v.LastBackupName,
        LastBackupAt = Time(v.LastBackupAt),
        BlockCount = v.BlockCount,
        BlockDataSize = v.BlockCount * BlockSizes.Default,
        CompressionMethod = v.EffectiveCompressionMethod,
        BackingImageName = v.BackingImageName,
        BackingImageChecksum = v.BackingImageChecksum,
        StorageClassName = v.StorageClassName,
        BackupCount = backupCount,
        Url = url,
        Target = target,
    };

    private static Dictionary<string, string> Sorted(Dictionary<string, string>? labels) =>
        labels is null ? new() : labels.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);

    private static DateTime? Time(string s) => GoJson.ParseTime(s)?.UtcDateTime;
}
