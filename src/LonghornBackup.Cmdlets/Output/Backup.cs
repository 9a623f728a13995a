namespace LonghornBackup;

/// <summary>
/// One backup of a volume, as Get-LhBackup and New-LhBackup emit it. Sizes are raw byte counts for scripts; the
/// format view shows them readable. VolumeName, Name and Target bind by property name to the other cmdlets.
/// </summary>
public sealed class Backup
{
    public string Name { get; init; } = "";
    public string VolumeName { get; init; } = "";
    public string SnapshotName { get; init; } = "";
    /// <summary>"Incremental" or "Full"; null for backups older than Longhorn 1.7, which did not record it.</summary>
    public string? BackupMode { get; init; }
    /// <summary>"Completed", "InProgress" (or interrupted), or "Error" when the backup's config cannot be read.</summary>
    public string State { get; init; } = "";
    public Dictionary<string, string> Labels { get; init; } = new();
    public string Url { get; init; } = "";
    /// <summary>Logical size of the data the backup covers: mapped blocks times the block size.</summary>
    public long Size { get; init; }
    /// <summary>Stored (compressed) bytes of blocks that were new to the store.</summary>
    public long NewlyUploadedDataSize { get; init; }
    /// <summary>Stored bytes of blocks that existed and were overwritten by a full backup.</summary>
    public long ReUploadedDataSize { get; init; }
    public string CompressionMethod { get; init; } = "";
    public long BlockSize { get; init; }
    public int BlockCount { get; init; }
    /// <summary>
    /// Longhorn's IsIncremental: the block map was built on the volume's previous backup. False for a volume's first
    /// backup even when BackupMode is Incremental, and for full backups.
    /// </summary>
    public bool IsIncremental { get; init; }
    /// <summary>When the backup finished (UTC); null while in progress.</summary>
    public DateTime? CreatedAt { get; init; }
    /// <summary>Longhorn's SnapshotCreatedAt (UTC): when the backup was started, or, from a replica directory, when its snapshot was taken.</summary>
    public DateTime? SnapshotCreatedAt { get; init; }
    public long VolumeSize { get; init; }
    /// <summary>When the backup volume was created on the target (volume.cfg CreatedTime, UTC): Longhorn's volumeCreated.</summary>
    public DateTime? VolumeCreatedAt { get; init; }
    /// <summary>Name of the backup target this backup lives on.</summary>
    public string Target { get; init; } = "";
    public string? Error { get; init; }
    /// <summary>What the run that made this backup read and uploaded (New-LhBackup only; null from Get-LhBackup).</summary>
    public BackupRun? Run { get; internal set; }

    public override string ToString() => Url;
}
