using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Clears away what interrupted runs left in a backup volume (<see cref="LeftoverKinds.All"/>: in-progress backups of
/// dead runs, stale locks, temporary files) and then collects garbage as a deletion does, so the blocks that only dead
/// runs stored are freed (Repair-LhBackupVolume). All under Longhorn's deletion lock: no backup or restore of this
/// module or of Longhorn runs meanwhile, since each holds a backup lock and renews it.
/// </summary>
public sealed class VolumeRepairer
{
    private readonly Backupstore _store;
    private readonly LockOptions? _locking;

    public VolumeRepairer(Backupstore store, LockOptions? locking = null)
    {
        _store = store;
        _locking = locking;
    }

    private LockOptions Locking => _locking ?? LockOptions.Default;

    /// <summary>
    /// The leftovers as they stand, found without a lock and changing nothing (what -WhatIf shows and the confirmation
    /// asks about), aged by this machine's clock. <see cref="RepairAsync"/> looks for them again under the lock.
    /// </summary>
    public async Task<IReadOnlyList<Leftover>> FindAsync(string volumeName, LeftoverCleanup cleanup, CancellationToken ct)
    {
        await EnsureVolumeAsync(volumeName, ct).ConfigureAwait(false);
        var scan = new LeftoverScan(_store, volumeName, cleanup, Locking.Expiry, Locking.Clock.GetUtcNow(), ownLockKey: null);
        return await LeftoverSweep.FindAsync(scan, cleanup, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Under the deletion lock: removes the leftovers <paramref name="cleanup"/> approves, found again and aged by the
    /// store's clock, then collects garbage unless <paramref name="collectGarbage"/> is false.
    /// </summary>
    public async Task<BackupDeletionResult> RepairAsync(string volumeName, LeftoverCleanup cleanup, bool collectGarbage, TimeSpan? lockTimeout,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        await EnsureVolumeAsync(volumeName, ct).ConfigureAwait(false);
        var step = new StepProgress(progress, $"Repairing backup volume {volumeName}");
        step.Report("Waiting for the volume's lock", 0, 0, 0, 0, force: true);
        await using var volumeLock = await VolumeLock.AcquireAsync(_store.Store, volumeName, LockType.Deletion, "repair",
            lockTimeout, _locking, ct).ConfigureAwait(false);
        var deleter = new BackupDeleter(_store, _locking) { Cleanup = cleanup };
        return await deleter.PassAsync(volumeName, Array.Empty<string>(), new List<string>(), volumeLock, step, collectGarbage, ct)
            .ConfigureAwait(false);
    }

    /// <summary>The volume's folder must exist (volume.cfg need not: a volume without one is still repaired), found by one listing of its parent.</summary>
    private async Task EnsureVolumeAsync(string volumeName, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        string dir = StorePaths.VolumeDir(volumeName);
        var siblings = await _store.Store.ListAsync(dir[..dir.LastIndexOf('/')], ct).ConfigureAwait(false);
        if (!siblings.Any(e => e.IsDirectory && e.Name == volumeName))
            throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                $"The backup volume '{volumeName}' does not exist on the backup target {_store.Url}.", volumeName,
                "List the volumes with Get-LhBackupVolume.");
    }
}
