namespace LonghornBackup.Engine.Errors;

/// <summary>The operation a Ctrl+C stopped.</summary>
public enum CancelledOperation
{
    Backup,
    Restore,
    BackupRemoval,
    VolumeRemoval,
    Verification,
}

/// <summary>
/// What an operation stopped by its cancellation token (Ctrl+C) had done, carried by its OperationCancelled error so
/// the cmdlet can say what was kept. Figures only: the words are the cmdlet's.
/// </summary>
public sealed record CancelledWork(CancelledOperation Operation, string VolumeName)
{
    /// <summary>Backup: blocks stored before the cancel and their stored bytes; they stay, and the next backup of the volume reuses them.</summary>
    public long BlocksStored { get; init; }
    public long BytesStored { get; init; }

    /// <summary>Restore: the file or device the restore was to write, and whether it was left as it was.</summary>
    public string? Destination { get; init; }
    public bool DestinationUnchanged { get; init; } = true;

    /// <summary>Backup removal: the backups whose configs were deleted before the cancel (their blocks are freed by the next removal).</summary>
    public IReadOnlyList<string> BackupsRemoved { get; init; } = Array.Empty<string>();

    /// <summary>Volume removal: whether deleting had begun (the volume is then partly removed).</summary>
    public bool RemovalStarted { get; init; }
}
