namespace LonghornBackup.Engine.Restore;

/// <summary>What a restore wrote.</summary>
public sealed record RestoreResult(string OutputPath, long Size, int BlocksRestored, long BytesDownloaded);
