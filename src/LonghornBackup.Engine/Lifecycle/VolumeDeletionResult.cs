namespace LonghornBackup.Engine.Lifecycle;

/// <summary>What removing a whole backup volume deleted.</summary>
public sealed record VolumeDeletionResult(string VolumeName, int BackupsDeleted, int BlocksDeleted);
