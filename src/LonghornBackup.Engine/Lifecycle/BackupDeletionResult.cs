namespace LonghornBackup.Engine.Lifecycle;

/// <summary>What one deletion pass over a volume did.</summary>
/// <param name="Deleted">Backups whose cfg was deleted.</param>
/// <param name="NotFound">Requested backups that did not exist (nothing was done for them).</param>
/// <param name="BlocksCollected">Whether unreferenced blocks were looked for and deleted; false when Longhorn's
/// rules skipped it (a backup in progress, an unreadable cfg, backups added meanwhile); see <paramref name="CollectionSkippedReason"/>.</param>
/// <param name="BlocksDeleted">Block files deleted because no remaining backup references them.</param>
/// <param name="BlockCount">volume.cfg's BlockCount afterwards (present and referenced blocks after a collection);
/// null when the volume has no readable volume.cfg.</param>
/// <param name="LastBackupName">volume.cfg's LastBackupName afterwards ("" when none).</param>
public sealed record BackupDeletionResult(
    string VolumeName,
    IReadOnlyList<string> Deleted,
    IReadOnlyList<string> NotFound,
    bool BlocksCollected,
    string? CollectionSkippedReason,
    int BlocksDeleted,
    long? BlockCount,
    string LastBackupName,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Stored bytes of the block files deleted (their sizes in the listing).</summary>
    public long BlockBytesDeleted { get; init; }

    /// <summary>What the pass cleared away of interrupted runs (with a <see cref="BackupDeleter.Cleanup"/>), and what it could not.</summary>
    public LeftoverSweepResult Leftovers { get; init; } = LeftoverSweepResult.None;
}
