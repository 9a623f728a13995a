namespace LonghornBackup;

/// <summary>Measure-LhBackup's figures for one backup: its data, what the target holds for it, what removing it frees.</summary>
public sealed class BackupStatistics
{
    public string Name { get; init; } = "";
    public string VolumeName { get; init; } = "";
    public DateTime? CreatedAt { get; init; }
    public bool IsInProgress { get; init; }
    public long BlockSize { get; init; }
    /// <summary>Entries of the block map.</summary>
    public long BlockCount { get; init; }
    /// <summary>BlockCount × BlockSize: the data a restore writes.</summary>
    public long DataSize { get; init; }
    public long DistinctBlockCount { get; init; }
    /// <summary>Bytes the target holds for the backup's distinct blocks (compressed).</summary>
    public long StoredSize { get; init; }
    /// <summary>Blocks no other backup of the volume references.</summary>
    public long ExclusiveBlockCount { get; init; }
    /// <summary>Stored bytes of those blocks: what Remove-LhBackup of this backup would free.</summary>
    public long ExclusiveStoredSize { get; init; }
    /// <summary>Blocks its map names that the target lacks (run Test-LhBackup).</summary>
    public long MissingBlockCount { get; init; }
    /// <summary>Why the backup's cfg could not be read; empty when it was.</summary>
    public string Error { get; init; } = "";
    public string Target { get; init; } = "";

    public override string ToString() => $"{VolumeName}/{Name}";
}
