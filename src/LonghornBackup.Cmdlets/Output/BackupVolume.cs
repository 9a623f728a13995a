using System.Management.Automation;

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
    /// <summary>
    /// BlockCount times 2 MiB, as Longhorn computes its DataStored (even for 16 MiB volumes): the blocks' uncompressed
    /// size, not the bytes the target holds (blocks are stored compressed, and knowing those would need a listing of
    /// the block pool).
    /// </summary>
    public long BlockDataSize { get; init; }
    /// <summary>The old name of <see cref="BlockDataSize"/>, kept for scripts; hidden from views and Get-Member.</summary>
    [Hidden]
    public long DataStored => BlockDataSize;
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
