using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Removes a whole backup volume as Longhorn's DeleteBackupVolume does (docs/backupstore-format.md §5.3): check that it exists, take the
/// type-2 lock, remove backups/, blocks/ and the rest of the volume folder. The own lock file goes last, so no backup
/// can start on the half-removed volume. Only the format's own files are deleted (<see cref="OwnFiles"/>): anything
/// else found in the volume's folder stays and is listed in the result.
/// </summary>
public sealed class VolumeDeleter
{
    private readonly Backupstore _store;
    private readonly LockOptions? _locking;

    public VolumeDeleter(Backupstore store, LockOptions? locking = null)
    {
        _store = store;
        _locking = locking;
    }

    public async Task<VolumeDeletionResult> DeleteAsync(string volumeName, TimeSpan? lockTimeout, IProgress<OperationProgress>? progress,
        CancellationToken ct)
    {
        try
        {
            return await DeleteCoreAsync(volumeName, lockTimeout, progress, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct) && e is not LonghornBackupException { Cancelled: not null })
        {
            // Before anything was deleted (listing, waiting for the lock).
            throw Cancellation.Stopped($"Removing backup volume '{volumeName}' was cancelled before anything was removed.", volumeName,
                new CancelledWork(CancelledOperation.VolumeRemoval, volumeName), e);
        }
    }

    private async Task<VolumeDeletionResult> DeleteCoreAsync(string volumeName, TimeSpan? lockTimeout, IProgress<OperationProgress>? progress,
        CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        if (!(await _store.ListVolumeNamesAsync(ct).ConfigureAwait(false)).Contains(volumeName, StringComparer.Ordinal))
            throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                $"The backup volume '{volumeName}' does not exist on the backup target {_store.Url}.", volumeName,
                "List the volumes with Get-LhBackupVolume.");

        var step = new StepProgress(progress, $"Removing backup volume {volumeName}");
        step.Report("Waiting for the volume's lock", 0, 0, 0, 0, force: true);
        await using var volumeLock = await VolumeLock.AcquireAsync(_store.Store, volumeName, LockType.Deletion, "deletion",
            lockTimeout, _locking, ct).ConfigureAwait(false);

        int backups = (await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false)).Count;
        int blocks = (await _store.ListBlockChecksumsAsync(volumeName, ct).ConfigureAwait(false)).Count;
        IReadOnlyList<string> leftBehind;
        try
        {
            step.Report("Deleting backup configs", 0, 0, 5, 5, force: true);
            await _store.Store.DeleteTreeAsync(StorePaths.BackupsDir(volumeName), ct).ConfigureAwait(false);
            step.Report($"Deleting {blocks} blocks", 0, 0, 10, 10, force: true);
            await _store.Store.DeleteTreeAsync(StorePaths.BlocksDir(volumeName), ct).ConfigureAwait(false);

            string volumeDir = StorePaths.VolumeDir(volumeName);
            foreach (var entry in await _store.Store.ListAsync(volumeDir, ct).ConfigureAwait(false))
            {
                string key = $"{volumeDir}/{entry.Name}";
                if (entry.IsDirectory && entry.Name == "locks") continue;
                if (entry.IsDirectory) await _store.Store.DeleteTreeAsync(key, ct).ConfigureAwait(false);
                else if (OwnFiles.IsOwn(entry.Name)) await _store.Store.DeleteAsync(key, ct).ConfigureAwait(false);
            }
            // Other lock files (stale ones, other deletions'); ours is deleted when the lock is released below.
            foreach (var entry in await _store.Store.ListAsync(StorePaths.LocksDir(volumeName), ct).ConfigureAwait(false))
            {
                string key = $"{StorePaths.LocksDir(volumeName)}/{entry.Name}";
                if (key == volumeLock.Key) continue;
                if (entry.IsDirectory) await _store.Store.DeleteTreeAsync(key, ct).ConfigureAwait(false);
                else if (OwnFiles.IsOwn(entry.Name)) await _store.Store.DeleteAsync(key, ct).ConfigureAwait(false);
            }
            leftBehind = await LeftBehindAsync(volumeName, volumeLock.Key, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct))
        {
            throw Cancellation.Stopped($"Removing backup volume '{volumeName}' was cancelled part-way; run it again to finish.", volumeName,
                new CancelledWork(CancelledOperation.VolumeRemoval, volumeName) { RemovalStarted = true }, e);
        }
        step.Complete("Done");
        return new VolumeDeletionResult(volumeName, backups, blocks) { LeftBehind = leftBehind };
    }

    /// <summary>Keys still in the volume's folder that are not ours to delete (our lock goes when it is released).</summary>
    private async Task<IReadOnlyList<string>> LeftBehindAsync(string volumeName, string ownLockKey, CancellationToken ct)
    {
        string volumeDir = StorePaths.VolumeDir(volumeName);
        var left = new List<string>();
        await foreach (var (relative, _) in _store.Store.ListTreeAsync(volumeDir, ct).ConfigureAwait(false))
        {
            string key = $"{volumeDir}/{relative}";
            if (key != ownLockKey) left.Add(key);
        }
        return left;
    }
}
