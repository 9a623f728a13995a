namespace LonghornBackup;

/// <summary>Something an interrupted run left in a backup volume, as Repair-LhBackupVolume and Remove-LhBackup removed it.</summary>
public sealed class BackupLeftover
{
    /// <summary>InProgressBackup (a backup cfg of a run that died), Lock (a lock file past its lease) or TemporaryFile (an unfinished write).</summary>
    public string Kind { get; init; } = "";
    /// <summary>The backup's, the lock's or the file's name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Its key in the store, below the target's root.</summary>
    public string Key { get; init; } = "";
    /// <summary>How long before the removal it was last written, by the store's clock.</summary>
    public TimeSpan Age { get; init; }
    /// <summary>When it was last written, as the store reported it (UTC).</summary>
    public DateTime LastWritten { get; init; }
    /// <summary>Its size in bytes.</summary>
    public long Size { get; init; }
    /// <summary>What made it a leftover.</summary>
    public string Detail { get; init; } = "";
    public string VolumeName { get; init; } = "";
    public string Target { get; init; } = "";
}
