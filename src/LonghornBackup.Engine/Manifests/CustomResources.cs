namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// A Longhorn object to export as its custom resource (docs/backupstore-format.md §8). The values are the store's, already as Longhorn
/// shows them: times as RFC 3339 strings, sizes in bytes.
/// </summary>
public abstract record CustomResource;

/// <summary>A backup as Longhorn's Backup CR shows it (docs/backupstore-format.md §8.1).</summary>
public sealed record BackupResource : CustomResource
{
    public required string Name { get; init; }
    public required string VolumeName { get; init; }
    public required string TargetName { get; init; }
    public string SnapshotName { get; init; } = "";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>"full", "incremental", or "" when the backup did not record it (before Longhorn 1.7).</summary>
    public string Mode { get; init; } = "";
    /// <summary>Block size in bytes; 0 when unknown.</summary>
    public long BlockSize { get; init; }
    /// <summary>Completed, InProgress or Error.</summary>
    public required string State { get; init; }
    public string Url { get; init; } = "";
    public string SnapshotCreatedAt { get; init; } = "";
    public string BackupCreatedAt { get; init; } = "";
    public long Size { get; init; }
    public long VolumeSize { get; init; }
    public string VolumeCreated { get; init; } = "";
    public string CompressionMethod { get; init; } = "";
    public long NewlyUploadedDataSize { get; init; }
    public long ReUploadedDataSize { get; init; }
    public string? Error { get; init; }
}

/// <summary>A backup volume as Longhorn's BackupVolume CR shows it (docs/backupstore-format.md §8.3).</summary>
public sealed record BackupVolumeResource : CustomResource
{
    public required string VolumeName { get; init; }
    public required string TargetName { get; init; }
    public long Size { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string CreatedAt { get; init; } = "";
    public string LastBackupName { get; init; } = "";
    public string LastBackupAt { get; init; } = "";
    /// <summary>Longhorn's dataStored: block count times 2 MiB.</summary>
    public long DataStored { get; init; }
    public string BackingImageName { get; init; } = "";
    public string BackingImageChecksum { get; init; } = "";
    public string StorageClassName { get; init; } = "";
}

/// <summary>A backup target as Longhorn's BackupTarget CR shows it (docs/backupstore-format.md §8.2). Holds a Secret's name, never its values.</summary>
public sealed record BackupTargetResource : CustomResource
{
    /// <summary>Longhorn's default poll interval (the backupstore-poll-interval setting, 300 seconds).</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMinutes(5);

    public required string Name { get; init; }
    public required string Url { get; init; }
    public string CredentialSecret { get; init; } = "";
    public TimeSpan PollInterval { get; init; } = DefaultPollInterval;
    public bool Available { get; init; }
}
