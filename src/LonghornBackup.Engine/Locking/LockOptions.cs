namespace LonghornBackup.Engine.Locking;

/// <summary>
/// Timings of Longhorn's lock protocol (backupstore lock.go, docs/backupstore-format.md §5.1). The defaults are Longhorn's and are what
/// interoperates with it; tests shorten them to run fast.
/// </summary>
public sealed record LockOptions
{
    /// <summary>Longhorn's values.</summary>
    public static LockOptions Default { get; } = new();

    /// <summary>LOCK_CHECK_WAIT_TIME: after writing its lock file, a client waits this long before it compares, so
    /// the lock files of clients that started at about the same time are all visible.</summary>
    public TimeSpan CheckWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>LOCK_REFRESH_INTERVAL: a held lock is rewritten this often, which renews its time.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>LOCK_DURATION: a lock whose time is older than this is stale (its holder died) and is ignored.</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>How often a client that was asked to wait looks again while a conflicting lock is held (our choice:
    /// current Longhorn never waits; a look is one listing of locks/, cheap enough every CheckWait).</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>"Now" for the expiry check, and the timer for the waits.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Receives warnings about the volume's locks (an unreadable lock file past the lease, ignored and removed), on
    /// whatever thread takes the lock; null drops them. The cmdlets pass them on as PowerShell warnings.
    /// </summary>
    public Action<string>? Warning { get; init; }
}
