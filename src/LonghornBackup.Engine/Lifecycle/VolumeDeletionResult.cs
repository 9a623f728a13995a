namespace LonghornBackup.Engine.Lifecycle;

/// <summary>What removing a whole backup volume deleted.</summary>
public sealed record VolumeDeletionResult(string VolumeName, int BackupsDeleted, int BlocksDeleted)
{
    /// <summary>Keys found in the volume's folder that are not the format's files: not deleted, for the user to check.</summary>
    public IReadOnlyList<string> LeftBehind { get; init; } = Array.Empty<string>();
}
