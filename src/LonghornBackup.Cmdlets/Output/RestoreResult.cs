namespace LonghornBackup;

/// <summary>
/// What Restore-LhBackup wrote: the image, how much came from the store and how long it took. <see cref="Path"/>
/// binds by property name to the file cmdlets (Get-FileHash, Remove-Item); <see cref="File"/> is the file itself.
/// </summary>
public sealed class RestoreResult
{
    /// <summary>The full path of the image file or block device written.</summary>
    public string Path { get; init; } = "";
    /// <summary>Bytes of the image: the backup volume's size.</summary>
    public long Size { get; init; }
    /// <summary>Distinct blocks fetched and verified.</summary>
    public int BlocksRestored { get; init; }
    /// <summary>Bytes read from the store (compressed).</summary>
    public long BytesDownloaded { get; init; }
    public string BackupName { get; init; } = "";
    public string VolumeName { get; init; } = "";
    public TimeSpan Duration { get; init; }
    public string Target { get; init; } = "";
    /// <summary>Blocks written as zeros by -SkipCorruptBlocks, by offset; empty for a whole restore.</summary>
    public DamagedBlock[] DamagedBlocks { get; init; } = Array.Empty<DamagedBlock>();
    /// <summary>Bytes of the image written as zeros in place of damaged blocks.</summary>
    public long DamagedBytes { get; init; }
    /// <summary>The restored image as Get-Item gives it (a FileInfo, also for a device).</summary>
    public FileInfo File { get; init; } = null!;

    public override string ToString() => Path;
}
