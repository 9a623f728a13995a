namespace LonghornBackup;

/// <summary>
/// What a retention policy decided for one backup (Remove-LhBackup -Keep* -WhatIf lists every backup of the volume;
/// a removal's BackupRemoval.Kept lists those it kept): keep or remove, and the rules that keep it.
/// </summary>
public sealed class RetentionDecision
{
    public string Name { get; init; } = "";
    public string VolumeName { get; init; } = "";
    /// <summary>The backup's snapshot time (SnapshotCreatedAt), by which the rules count, UTC.</summary>
    public DateTime? SnapshotCreatedAt { get; init; }
    /// <summary>"Keep" or "Remove"; "Ignore" for a backup in progress, unreadable or without the -Label labels.</summary>
    public string Action { get; init; } = "";
    /// <summary>The rules keeping it: "last", "hourly", "daily", "weekly", "monthly", "yearly", "within 7d".</summary>
    public string[] KeptBy { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Name}: {Action}";
}
