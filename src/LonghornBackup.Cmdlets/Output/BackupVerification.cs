namespace LonghornBackup;

/// <summary>
/// What Test-LhBackup found for one backup. A scheduled task decides on <see cref="IsHealthy"/> (or catches the
/// BackupVerificationFailed errors written for every backup that is not).
/// </summary>
public sealed class BackupVerification
{
    public string Name { get; init; } = "";
    public string VolumeName { get; init; } = "";
    /// <summary>"Healthy", "Missing" (a block is gone), "Corrupt" (a block fails its check), "InProgress" (running or
    /// interrupted; nothing to check yet), "Error" (the backup's config or block map cannot be used) or "Inconsistent"
    /// (blocks mapped beyond the volume's recorded size: see Error).</summary>
    public string State { get; init; } = "";
    /// <summary>True for Healthy and InProgress: nothing this backup stored is broken.</summary>
    public bool IsHealthy { get; init; }
    /// <summary>"Quick" (blocks exist) or "Deep" (blocks read, decompressed and checksummed).</summary>
    public string Mode { get; init; } = "";
    /// <summary>The share of blocks a deep check read: "all", "3/7" (-Subset) or "10%" (-Sample). Missing blocks are looked for in all.</summary>
    public string Share { get; init; } = "all";
    /// <summary>Distinct blocks of this backup read and checksummed.</summary>
    public int BlocksRead { get; init; }
    /// <summary>Distinct blocks the backup references.</summary>
    public int BlockCount { get; init; }
    public string[] MissingBlocks { get; init; } = Array.Empty<string>();
    public string[] CorruptBlocks { get; init; } = Array.Empty<string>();
    /// <summary>Every broken block with its detail and the backups it breaks.</summary>
    public BrokenBlock[] BrokenBlocks { get; init; } = Array.Empty<BrokenBlock>();
    /// <summary>When the backup finished (UTC); null while in progress.</summary>
    public DateTime? CreatedAt { get; init; }
    public DateTime VerifiedAt { get; init; }
    public string Url { get; init; } = "";
    public string Target { get; init; } = "";
    public string? Error { get; init; }

    public override string ToString() => $"{Name}: {State}";
}
