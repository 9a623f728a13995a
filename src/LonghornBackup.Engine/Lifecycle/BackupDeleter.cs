using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Deletes backups of one volume the way Longhorn's DeleteDeltaBlockBackup does (docs/backupstore-format.md §5.2), for any number of backups
/// in one pass: under a type-2 lock, delete the backup cfgs first, fix volume.cfg's LastBackup*, then rebuild the
/// reference count of every block from all remaining cfgs and delete the blocks nothing references. Block deletion
/// is skipped, exactly when Longhorn skips it, whenever the references cannot be trusted: a remaining cfg cannot be
/// read or is in progress, or the set of backups changed during the pass. With a <see cref="Cleanup"/>, the pass first
/// clears away what interrupted runs left (an in-progress cfg of a dead run would otherwise stop the collection for
/// ever), under the same lock.
/// </summary>
public sealed class BackupDeleter
{
    private const int DeleteWorkers = 8;
    private readonly Backupstore _store;
    private readonly LockOptions? _locking;

    public BackupDeleter(Backupstore store, LockOptions? locking = null)
    {
        _store = store;
        _locking = locking;
    }

    /// <summary>
    /// Leftovers of interrupted runs to clear away in every pass that holds the lock, before the collection they would
    /// stop; null (Longhorn's own deletion) leaves them. When no requested backup exists, a pass runs only if an
    /// in-progress backup old enough to go is there, and a volume busy with a backup then is no error (a warning).
    /// </summary>
    public LeftoverCleanup? Cleanup { get; init; }

    private LockOptions Locking => _locking ?? LockOptions.Default;

    public async Task<BackupDeletionResult> DeleteAsync(string volumeName, IEnumerable<string> backupNames, TimeSpan? lockTimeout,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        try
        {
            return await DeleteCoreAsync(volumeName, backupNames, lockTimeout, progress, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct) && e is not LonghornBackupException { Cancelled: not null })
        {
            // Before the first config was deleted (listing, waiting for the lock): nothing was removed.
            throw Cancellation.Stopped($"Removing backups of volume '{volumeName}' was cancelled before any was removed.", volumeName,
                new CancelledWork(CancelledOperation.BackupRemoval, volumeName), e);
        }
    }

    private async Task<BackupDeletionResult> DeleteCoreAsync(string volumeName, IEnumerable<string> backupNames, TimeSpan? lockTimeout,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        var requested = backupNames.Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in requested) NameRules.ValidateBackupName(name);

        var notFound = new List<string>();
        var present = await ExistingAsync(volumeName, requested, notFound, ct).ConfigureAwait(false);
        bool leftoversOnly = false;
        if (present.Count == 0)
        {
            // Nothing to do, and no lock taken. A volume that does not exist at all is an error of its own.
            bool hasCfg = await _store.Store.StatAsync(StorePaths.VolumeConfig(volumeName), ct).ConfigureAwait(false) is not null;
            if (!hasCfg && (await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false)).Count == 0)
                throw VolumeNotFound(volumeName);
            if (Cleanup is null || !await HasDeadBackupAsync(volumeName, Cleanup, ct).ConfigureAwait(false))
                return Nothing(volumeName, notFound, Array.Empty<string>());
            leftoversOnly = true;
        }

        var step = new StepProgress(progress, $"Removing backups of {volumeName}");
        step.Report("Waiting for the volume's lock", 0, 0, 0, 0, force: true);
        VolumeLock volumeLock;
        try
        {
            volumeLock = await VolumeLock.AcquireAsync(_store.Store, volumeName, LockType.Deletion, "deletion", lockTimeout, _locking, ct)
                .ConfigureAwait(false);
        }
        catch (LonghornBackupException e) when (leftoversOnly && e.ErrorId == ErrorIds.LockConflict)
        {
            return Nothing(volumeName, notFound, new[] { $"Backups of '{volumeName}' left in progress by interrupted runs were not removed this time: {e.Message}" });
        }
        await using (volumeLock)
            return await PassAsync(volumeName, present, notFound, volumeLock, step, collect: true, ct).ConfigureAwait(false);
    }

    private static BackupDeletionResult Nothing(string volumeName, IReadOnlyList<string> notFound, IReadOnlyList<string> warnings) =>
        new(volumeName, Array.Empty<string>(), notFound, false, "no backup was deleted", 0, null, "", warnings);

    /// <summary>Whether an in-progress backup old enough to go is there, by this machine's clock (the pass under the lock judges again).</summary>
    private async Task<bool> HasDeadBackupAsync(string volumeName, LeftoverCleanup cleanup, CancellationToken ct)
    {
        var scan = new LeftoverScan(_store, volumeName, cleanup, Locking.Expiry, Locking.Clock.GetUtcNow(), ownLockKey: null);
        return (await InProgressBackupKind.Instance.FindAsync(scan, ct).ConfigureAwait(false)).Count > 0;
    }

    /// <summary>
    /// One pass under a held deletion lock: clear the leftovers (with a <see cref="Cleanup"/>), delete the requested
    /// cfgs that still exist, fix volume.cfg, and collect garbage unless <paramref name="collect"/> is false.
    /// </summary>
    internal async Task<BackupDeletionResult> PassAsync(string volumeName, IReadOnlyList<string> requested, List<string> notFound,
        VolumeLock volumeLock, StepProgress step, bool collect, CancellationToken ct)
    {
        var swept = Cleanup is null ? LeftoverSweepResult.None
            : await LeftoverSweep.RemoveAsync(_store, volumeName, Cleanup, volumeLock, Locking.Expiry, ct).ConfigureAwait(false);

        // Another deletion (type 2 locks do not exclude each other) may have removed some meanwhile.
        var deleted = await ExistingAsync(volumeName, requested, notFound, ct).ConfigureAwait(false);
        var warnings = new List<string>();

        // Longhorn loads each cfg first (a stub when it cannot) only to go on regardless; nothing in it is needed here,
        // so an unreadable cfg is deleted like any other. From the first cfg deleted on, finish the bookkeeping even if
        // cancelled: only block deletion may stop part-way.
        // Several at once: each is independent, and on a network store one at a time is thousands of round trips.
        int cfgsDeleted = 0;
        await Parallel.ForEachAsync(deleted, new ParallelOptions { MaxDegreeOfParallelism = DeleteWorkers }, async (name, _) =>
        {
            await _store.Store.DeleteAsync(StorePaths.BackupConfig(volumeName, name), CancellationToken.None).ConfigureAwait(false);
            step.Report("Deleting backup configs", Interlocked.Increment(ref cfgsDeleted), deleted.Count, 0, 10);
        }).ConfigureAwait(false);

        VolumeConfig? volume = null;
        try { volume = await _store.LoadVolumeAsync(volumeName, CancellationToken.None).ConfigureAwait(false); }
        catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData) { warnings.Add($"{e.Message} It was left as it is."); }
        if (volume is null && warnings.Count == 0) warnings.Add($"Backup volume '{volumeName}' has no volume.cfg; only backups and blocks were deleted.");
        var gone = deleted.Concat(swept.Removed.Where(l => l.Kind == InProgressBackupKind.Instance.Name).Select(l => l.Name));
        bool updateLast = volume is not null && gone.Contains(volume.LastBackupName, StringComparer.Ordinal);
        if (updateLast)
        {
            volume!.LastBackupName = "";
            volume.LastBackupAt = "";
        }

        var gc = new Collection(this, volumeName, step);
        try
        {
            if (collect) await gc.CountReferencesAsync(ct).ConfigureAwait(false);
            else gc.Skip("garbage collection was not confirmed");
            if (updateLast)
            {
                // Longhorn points volume.cfg at the newest remaining backup only when the references could be trusted.
                if (gc.SkipReason is null && gc.Latest is { } latest)
                {
                    volume!.LastBackupName = latest.Name;
                    volume.LastBackupAt = latest.SnapshotCreatedAt;
                }
                await _store.SaveVolumeAsync(volume!, CancellationToken.None).ConfigureAwait(false);
            }
            await gc.CheckBackupSetUnchangedAsync(ct).ConfigureAwait(false);
            if (gc.SkipReason is null)
            {
                await gc.DeleteUnreferencedAsync(ct).ConfigureAwait(false);
                if (volume is not null)
                {
                    volume.BlockCount = gc.ReferencedPresentCount;
                    await _store.SaveVolumeAsync(volume, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct))
        {
            if (updateLast) await _store.SaveVolumeAsync(volume!, CancellationToken.None).ConfigureAwait(false);
            throw Cancellation.Stopped(
                $"Removing backups of volume '{volumeName}' was cancelled after their configs were deleted; blocks they alone used are freed by the next deletion.",
                volumeName, new CancelledWork(CancelledOperation.BackupRemoval, volumeName) { BackupsRemoved = deleted }, e);
        }

        if (gc.UnknownReferences > 0)
            warnings.Add($"Remaining backups of '{volumeName}' refer to {gc.UnknownReferences} block(s) missing from the store; Test-LhBackup names the backups that are broken.");
        step.Complete("Done");
        return new BackupDeletionResult(volumeName, deleted, notFound, gc.SkipReason is null, gc.SkipReason, gc.BlocksDeleted,
            volume?.BlockCount, volume?.LastBackupName ?? "", warnings)
        {
            BlockBytesDeleted = gc.BytesDeleted,
            Leftovers = swept,
        };
    }

    private async Task<List<string>> ExistingAsync(string volumeName, IEnumerable<string> names, List<string> notFound, CancellationToken ct)
    {
        // One listing, not a request per backup: removing thousands by retention must not cost thousands of HEADs.
        var listed = (await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var existing = new List<string>();
        foreach (var name in names)
        {
            if (listed.Contains(name)) existing.Add(name);
            else notFound.Add(name);
        }
        return existing;
    }

    private static LonghornBackupException VolumeNotFound(string volumeName) =>
        new(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound, $"The backup volume '{volumeName}' does not exist.", volumeName,
            "List the volumes with Get-LhBackupVolume.");

    /// <summary>The garbage collection of one pass (docs/backupstore-format.md §5.2 steps 5-10). <see cref="SkipReason"/> set means: delete no block.</summary>
    private sealed class Collection(BackupDeleter owner, string volumeName, StepProgress step)
    {
        private readonly Backupstore _store = owner._store;
        private IReadOnlyList<string> _remaining = Array.Empty<string>();
        private Dictionary<string, long> _blocks = new(StringComparer.Ordinal);
        private readonly HashSet<string> _referenced = new(StringComparer.Ordinal);

        public string? SkipReason { get; private set; }
        public BackupConfig? Latest { get; private set; }
        public long UnknownReferences { get; private set; }
        public int BlocksDeleted { get; private set; }
        public long BytesDeleted { get; private set; }
        public long ReferencedPresentCount => _referenced.Count(_blocks.ContainsKey);

        public void Skip(string reason) => SkipReason = reason;

        public async Task CountReferencesAsync(CancellationToken ct)
        {
            try { _remaining = await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false); }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.ReadError)
            {
                SkipReason = $"the remaining backups could not be listed ({e.Message})";
                return;
            }
            // One listing of the whole pool; then each cfg is loaded, counted and dropped in turn, so memory holds the
            // set of referenced checksums, never all block maps at once (longhorn/longhorn#2339).
            _blocks = await _store.ListBlockSizesAsync(volumeName, ct).ConfigureAwait(false);
            var newest = new List<BackupConfig>();
            DateTimeOffset newestAt = DateTimeOffset.MinValue;
            for (int i = 0; i < _remaining.Count; i++)
            {
                step.Report("Counting block references", i, _remaining.Count, 10, 60);
                string name = _remaining[i];
                BackupConfig? cfg;
                try { cfg = await _store.LoadBackupAsync(volumeName, name, ct).ConfigureAwait(false); }
                catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
                {
                    SkipReason = $"the config of backup '{name}' cannot be read ({e.Message}); if an interrupted run left it cut short, Repair-LhBackupVolume removes it";
                    return;
                }
                if (cfg is null)
                {
                    SkipReason = $"backup '{name}' was removed while the references were counted";
                    return;
                }
                if (cfg.IsInProgress)
                {
                    SkipReason = $"backup '{name}' is in progress (or its run was interrupted; remove it to let blocks be freed)";
                    return;
                }
                foreach (var b in cfg.Blocks)
                {
                    if (_referenced.Add(b.BlockChecksum) && !_blocks.ContainsKey(b.BlockChecksum)) UnknownReferences++;
                }
                var at = GoJson.ParseTime(cfg.SnapshotCreatedAt) ?? DateTimeOffset.MinValue;
                cfg.Blocks = new List<BlockMapping>();   // only the name and times are kept
                if (at > newestAt) { newestAt = at; newest.Clear(); }
                if (at == newestAt) newest.Add(cfg);
            }
            Latest = await NewestAsync(newest, ct).ConfigureAwait(false);
        }

        /// <summary>Among backups started in the same second, the one whose cfg was written last (as Get-LhBackup orders them).</summary>
        private async Task<BackupConfig?> NewestAsync(List<BackupConfig> tied, CancellationToken ct)
        {
            if (tied.Count <= 1) return tied.FirstOrDefault();
            BackupConfig? best = null;
            DateTimeOffset bestWritten = DateTimeOffset.MinValue;
            foreach (var cfg in tied.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                var info = await _store.Store.StatAsync(StorePaths.BackupConfig(volumeName, cfg.Name), ct).ConfigureAwait(false);
                var written = info?.LastModified ?? DateTimeOffset.MinValue;
                if (best is null || written >= bestWritten) { best = cfg; bestWritten = written; }
            }
            return best;
        }

        /// <summary>Step 9: a backup that appeared while we counted may use blocks we think unreferenced.</summary>
        public async Task CheckBackupSetUnchangedAsync(CancellationToken ct)
        {
            if (SkipReason is not null) return;
            var now = await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false);
            if (!now.SequenceEqual(_remaining, StringComparer.Ordinal))
            {
                var added = now.Except(_remaining, StringComparer.Ordinal).ToList();
                SkipReason = added.Count > 0
                    ? $"backup(s) {string.Join(", ", added)} appeared while the references were counted"
                    : "backups were removed while the references were counted";
            }
        }

        public async Task DeleteUnreferencedAsync(CancellationToken ct)
        {
            var garbage = _blocks.Keys.Where(c => !_referenced.Contains(c)).ToList();
            int done = 0;
            await Parallel.ForEachAsync(garbage, new ParallelOptions { MaxDegreeOfParallelism = DeleteWorkers, CancellationToken = ct },
                async (checksum, token) =>
                {
                    await _store.Store.DeleteAsync(StorePaths.Block(volumeName, checksum), token).ConfigureAwait(false);
                    step.Report("Deleting unreferenced blocks", Interlocked.Increment(ref done), garbage.Count, 60, 100);
                }).ConfigureAwait(false);
            BlocksDeleted = garbage.Count;
            BytesDeleted = garbage.Sum(c => _blocks[c]);
            foreach (var c in garbage) _blocks.Remove(c);
        }
    }
}
