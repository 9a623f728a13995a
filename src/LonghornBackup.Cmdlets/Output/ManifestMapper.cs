using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Manifests;

namespace LonghornBackup;

/// <summary>
/// Turns the public output objects back into the engine's neutral custom-resource records for ConvertTo-LhManifest,
/// filling each field as Longhorn fills it (docs/backupstore-format.md §8). Returns null for objects that have no Longhorn resource.
/// </summary>
internal static class ManifestMapper
{
    public static CustomResource? ToResource(object item) => item switch
    {
        Backup b => new BackupResource
        {
            Name = b.Name,
            VolumeName = b.VolumeName,
            TargetName = b.Target,
            SnapshotName = b.SnapshotName,
            Labels = b.Labels,
            Mode = b.BackupMode?.ToLowerInvariant() ?? "",
            BlockSize = b.BlockSize,
            State = b.State,
            Url = b.Url,
            SnapshotCreatedAt = Time(b.SnapshotCreatedAt),
            BackupCreatedAt = Time(b.CreatedAt),
            Size = b.Size,
            VolumeSize = b.VolumeSize,
            VolumeCreated = Time(b.VolumeCreatedAt),
            CompressionMethod = b.CompressionMethod,
            NewlyUploadedDataSize = b.NewlyUploadedDataSize,
            ReUploadedDataSize = b.ReUploadedDataSize,
            Error = b.Error,
        },
        BackupVolume v => new BackupVolumeResource
        {
            VolumeName = v.Name,
            TargetName = v.Target,
            Size = v.Size,
            Labels = v.Labels,
            CreatedAt = Time(v.CreatedAt),
            LastBackupName = v.LastBackupName,
            LastBackupAt = Time(v.LastBackupAt),
            DataStored = v.BlockDataSize,   // Longhorn's dataStored is this same figure
            BackingImageName = v.BackingImageName,
            BackingImageChecksum = v.BackingImageChecksum,
            StorageClassName = v.StorageClassName,
        },
        // The Secret's name only, never its values; without a manifest's pollInterval, Longhorn's default is written.
        BackupTarget t => new BackupTargetResource
        {
            Name = t.Name,
            Url = t.Url,
            CredentialSecret = t.CredentialSecret ?? "",
            PollInterval = t.PollInterval ?? BackupTargetResource.DefaultPollInterval,
            Available = t.Available,
        },
        _ => null,
    };

    public static string Write(IEnumerable<CustomResource> resources) => ManifestWriter.Write(resources);

    private static string Time(DateTime? t) =>
        t is DateTime value ? GoJson.FormatTime(new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc))) : "";
}
