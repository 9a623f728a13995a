using LonghornBackup.Engine.Locking;

namespace LonghornBackup.Engine.Export;

/// <summary>What to serve, where, and with how much memory.</summary>
public sealed class ExportRequest
{
    public const long DefaultCacheBytes = 64L * 1024 * 1024;

    /// <summary>The backups to serve, each under its own export name.</summary>
    public required IReadOnlyList<(string VolumeName, string BackupName)> Backups { get; init; }
    public required ExportEndpoint Endpoint { get; init; }
    /// <summary>Name of the target the backups are on, for listings.</summary>
    public string TargetName { get; init; } = "";
    /// <summary>Memory for blocks per served backup: the fetch stage's buffers (BlockFetcher.BuffersHeld), the rest caches decoded blocks (at least four).</summary>
    public long CacheBytes { get; init; } = DefaultCacheBytes;
    /// <summary>Blocks fetched at once per served backup; default two per core (at least eight).</summary>
    public int? Fetchers { get; init; }
    /// <summary>How long to wait for the volumes' locks while a deletion holds one; null fails at once.</summary>
    public TimeSpan? LockTimeout { get; init; }
    public bool IncludeBlocksBeyondVolumeSize { get; init; }
    public LockOptions? Locking { get; init; }
}
