namespace LonghornBackup;

/// <summary>
/// What New-LhBackup -WhatIf found a real run would do: the snapshot was read and hashed, and the blocks that would be
/// uploaded were compressed to measure them, but nothing was written.
/// </summary>
public sealed class BackupPlan
{
    public string VolumeName { get; init; } = "";
    public string SnapshotName { get; init; } = "";
    public string BackupMode { get; init; } = "";
    public string Target { get; init; } = "";
    /// <summary>Logical size the backup would cover (mapped blocks times the block size).</summary>
    public long Size { get; init; }
    public int BlockCount { get; init; }
    /// <summary>Blocks that would be uploaded (new ones, plus existing ones a full backup overwrites).</summary>
    public long BlocksToUpload { get; init; }
    /// <summary>Stored bytes a real run would upload that are new to the store.</summary>
    public long NewlyUploadedDataSize { get; init; }
    /// <summary>Stored bytes a real (full) run would overwrite.</summary>
    public long ReUploadedDataSize { get; init; }
    public string CompressionMethod { get; init; } = "";
    public long BlockSize { get; init; }
}
