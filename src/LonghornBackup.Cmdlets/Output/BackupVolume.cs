namespace LonghornBackup;

/// <summary>A backup volume: the backups of one volume on a target and their shared block pool.</summary>
public sealed class BackupVolume
{
    public string Name { get; init; } = "";
    /// <summary>Same as <see cref="Name"/>, so a volume piped to Get-LhBackup binds its -VolumeName.</summary>
    public string VolumeName => Name;
    /// <summary>Volume size at the latest backup; restores are this size.</summary>
    public long Size { get; init; }
    public Dictionary<string, string> Labels { get; init; } = new();
    public DateTime? CreatedAt { get; init; }
    public string LastBackupName { get; init; } = "";
    public DateTime? LastBackupAt { get; init; }
    /// <summary>Distinct blocks in the volume's pool.</summary>
    public long BlockCount { get; init; }
    /// <summary>Longhorn's DataStored: BlockCount times 2 MiB (Longhorn computes it so even for 16 MiB volumes).</summary>
    public long DataStored { get; init; }
    public string CompressionMethod { get; init; } = "";
    /// <summary>Backing image of the volume, or empty.</summary>
    public string BackingImageName { get; init; } = "";
    public string BackingImageChecksum { get; init; } = "";
    /// <summary>StorageClass of the volume's PV when Longhorn wrote it, or empty.</summary>
    public string StorageClassName { get; init; } = "";
    public int BackupCount { get; init; }
    public string Url { get; init; } = "";
    public string Target { get; init; } = "";

    public override string ToString() => Url;
}
