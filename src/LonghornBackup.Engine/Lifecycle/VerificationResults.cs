using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>What verification found for one backup.</summary>
public enum BackupHealth
{
    /// <summary>Every block the backup references is present (quick) or present and intact (deep).</summary>
    Healthy,
    /// <summary>At least one referenced block is not in the store: the backup cannot be restored.</summary>
    Missing,
    /// <summary>Every block is present, but at least one fails decompression or its checksum: the backup cannot be restored.</summary>
    Corrupt,
    /// <summary>The backup is still running, or its run was interrupted; it has no block map to check yet.</summary>
    InProgress,
    /// <summary>The backup's config cannot be read, or its block map is damaged.</summary>
    Error,
    /// <summary>
    /// Every block is there (and intact, deep), but the backup maps blocks at or beyond its volume's recorded size: a
    /// restore refuses it unless told to make the image larger (see BlocksBeyondVolume).
    /// </summary>
    Inconsistent,
}

public enum BlockProblemKind
{
    Missing,
    Corrupt,
}

/// <summary>A referenced block that is missing or corrupt, and every checked backup it breaks.</summary>
public sealed record BlockProblem(string Checksum, string Key, BlockProblemKind Kind, string Detail, IReadOnlyList<string> AffectedBackups);

/// <summary>The verdict on one backup. <see cref="Problems"/> are the broken blocks it references.</summary>
public sealed record BackupVerificationResult(
    string VolumeName,
    string BackupName,
    string Url,
    BackupHealth Health,
    BackupConfig? Config,
    int BlocksReferenced,
    IReadOnlyList<BlockProblem> Problems,
    string? Error)
{
    /// <summary>Distinct blocks of this backup read and checksummed (a deep check reads only its share of them).</summary>
    public int BlocksRead { get; init; }

    /// <summary>Nothing of this backup is broken (a backup in progress has nothing to check yet).</summary>
    public bool IsHealthy => Health is BackupHealth.Healthy or BackupHealth.InProgress;
}

/// <summary>Verification of backups of one volume.</summary>
/// <param name="BlocksChecked">Distinct referenced blocks checked (deep: read and verified; quick: looked up).</param>
/// <param name="BytesRead">Stored bytes read (deep only).</param>
/// <param name="NotFound">Requested backups that do not exist.</param>
public sealed record VolumeVerification(
    string VolumeName,
    bool Deep,
    IReadOnlyList<BackupVerificationResult> Backups,
    IReadOnlyList<BlockProblem> Problems,
    int BlocksChecked,
    long BytesRead,
    IReadOnlyList<string> NotFound)
{
    /// <summary>The share of blocks a deep check read ("all", "3/7", "10%").</summary>
    public string Share { get; init; } = "all";
}
