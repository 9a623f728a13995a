namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>What releasing a target's local set-up did, so a caller tells a warning from a note without reading text.</summary>
public enum DismountOutcome
{
    /// <summary>The kind sets nothing up on this machine (folders, S3, Azure Blob).</summary>
    NothingToRelease,
    /// <summary>The export was not mounted.</summary>
    NotMounted,
    /// <summary>The module's own mount was unmounted.</summary>
    Unmounted,
    /// <summary>Mounted by someone else (an administrator, fstab): left as it is.</summary>
    LeftMounted,
}

/// <summary>The outcome of <see cref="IStoreDriver.Dismount"/> and the sentence that says it (null when nothing applies).</summary>
public sealed record DismountResult(DismountOutcome Outcome, string? Message)
{
    public static DismountResult Nothing { get; } = new(DismountOutcome.NothingToRelease, null);
}
