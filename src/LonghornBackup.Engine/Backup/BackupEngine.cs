using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Pipeline;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// Creates one backup the way Longhorn's CreateDeltaBlockBackup does (docs/backupstore-format.md §4): volume.cfg if new, the in-progress
/// cfg, the blocks, the final cfg with the complete sorted block map, then volume.cfg. Blocks flow through a bounded
/// pipeline (read, then hash, compress and write in parallel workers), so memory does not grow with the volume.
/// </summary>
public sealed class BackupEngine
{
    private readonly Backupstore _store;
    private readonly TimeProvider _clock;
    private readonly LockOptions? _locking;

    public BackupEngine(Backupstore store, TimeProvider? clock = null, LockOptions? locking = null)
    {
        _store = store;
        _clock = clock ?? TimeProvider.System;
        _locking = locking;
    }

    public async Task<BackupResult> RunAsync(BackupRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        try
        {
            return await (request.DryRun
                ? new BackupEngine(new Backupstore(new PreviewStore(_store.Store), _store.Url), _clock, _locking).RunCoreAsync(request, progress, ct)
                : RunCoreAsync(request, progress, ct)).ConfigureAwait(false);
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct) && e is not LonghornBackupException { Cancelled: not null })
        {
            // Cancelled before any block was stored (in the reads before the lock, say): the module's own error.
            throw Cancellation.Stopped($"The backup of volume '{request.VolumeName}' was cancelled.", request.VolumeName,
                new CancelledWork(CancelledOperation.Backup, request.VolumeName), e);
        }
    }

    private async Task<BackupResult> RunCoreAsync(BackupRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForWrite(request.VolumeName);
        ValidateSnapshotName(request.SnapshotName);
        LabelRules.Validate(request.Labels);
        if (request.CompressionMethod is not null) CompressionMethods.Get(request.CompressionMethod);
        if (request.BlockSize is int requested) BlockSizes.Validate(requested);
        if (request.BackupName is not null) NameRules.ValidateBackupNameForWrite(request.BackupName);
        if (request.Source.Size <= 0)
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidData,
                $"The snapshot image '{request.Source.Description}' is empty.", request.Source.Description);

        // Longhorn's type-1 lock for the whole backup (docs/backupstore-format.md §4.1 step 1): no deletion can free blocks this backup
        // reuses. Taking it costs Longhorn's 2 s check wait, and the whole transfer of the blocks runs meanwhile; what
        // makes that safe is checked once the lock is held (see VerifyBlocksUnderLockAsync). When another client's
        // live lock of another type (a deletion) is already there, nothing is written before the lock is held. A lock
        // conflict stops the transfer at once. A dry run writes nothing, not even a lock file.
        using var transferCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bool deletionRunning = !request.DryRun && await OtherLiveLockAsync(request.VolumeName, ct).ConfigureAwait(false);
        // Before anything is written, not even a lock file: the volume as recorded, and whether this source fits it.
        var state = await ReadVolumeStateAsync(request, ct).ConfigureAwait(false);
        // The lock's name, once its file is in the store: this run's in-flight records name it, so others can tell
        // whether their owner is still alive.
        var lockWritten = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<VolumeLock>? lockTask = request.DryRun ? null
            : VolumeLock.AcquireAsync(_store.Store, request.VolumeName, LockType.BackupOrRestore, "backup", request.LockTimeout, _locking, ct,
                onWritten: name => lockWritten.TrySetResult(name));
        _ = lockTask?.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) return;
                transferCancel.Cancel();
                lockWritten.TrySetCanceled();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        VolumeLock? volumeLock = null;
        string? inProgressKey = null;
        InFlightJournal? journal = null;
        var counters = new BackupCounters();
        try
        {
            if (deletionRunning && lockTask is not null)
            {
                volumeLock = await lockTask.ConfigureAwait(false);
                state = await ReadVolumeStateAsync(request, ct).ConfigureAwait(false);   // a deletion may have changed it
            }

            // Reads need no lock in Longhorn's protocol; volume.cfg is read again under the lock before the final writes.
            var warnings = new List<string>();
            var (volume, lastBackup, blockSize, volumeSize) = state;
            long imageSize = request.Source.Size;
            if (volumeSize != imageSize)
                warnings.Add($"The image is {imageSize} bytes, not a multiple of the {blockSize}-byte block size; the backup volume records {volumeSize} bytes and restores pad the image with zeros to that size, as Longhorn requires.");

            string backupName = request.BackupName ?? NameRules.NewBackupName();
            if (await _store.Store.StatAsync(StorePaths.BackupConfig(request.VolumeName, backupName), ct).ConfigureAwait(false) is not null)
                throw new LonghornBackupException(ErrorIds.BackupNameInUse, ErrorKind.AlreadyExists,
                    $"A backup named '{backupName}' already exists in volume '{request.VolumeName}'.", backupName);

            bool full = request.Mode == BackupMode.Full;
            var diff = SnapshotDiffPlan.For(request, lastBackup, blockSize);
            string? cachePath = request.UseChangeCache
                ? BlockChangeCache.PathFor(request.ChangeCacheDirectory ?? BlockChangeCache.DefaultDirectory(), _store.Url.Canonical, request.VolumeName)
                : null;
            int cpuWorkers = request.Concurrency ?? Math.Max(2, Environment.ProcessorCount);
            // Progress counts the data that will be read (the pipeline adds it from the image's extents), not the holes.
            var tracker = new ProgressTracker(progress, $"Backing up {request.VolumeName}", totalBytes: 0);
            var cache = full || diff is not null || cachePath is null ? null : BlockChangeCache.LoadTrusted(cachePath, lastBackup, blockSize);

            // Longhorn's write order (docs/backupstore-format.md §4.1): volume.cfg if new, the in-progress cfg, blocks, final cfg, volume.cfg.
            string now = GoJson.FormatTime(_clock.GetUtcNow());
            bool newVolume = volume is null;
            volume ??= new VolumeConfig
            {
                Name = request.VolumeName,
                Size = volumeSize,
                Labels = CopyLabels(request.Labels),
                CreatedTime = now,
                CompressionMethod = request.CompressionMethod ?? CompressionMethods.Default,
            };
            if (newVolume) await _store.SaveVolumeAsync(volume, ct).ConfigureAwait(false);
            string method = volume.EffectiveCompressionMethod;
            var backup = new BackupConfig
            {
                Name = backupName,
                VolumeName = request.VolumeName,
                CompressionMethod = method,
            };
            // The in-progress marker (CreatedTime empty) goes first: a crash leaves a visible, removable trace, and a
            // deletion's garbage collection that sees it frees no block (docs/backupstore-format.md §5.2 step 7), so none this backup stores.
            await _store.SaveBackupAsync(backup, ct).ConfigureAwait(false);
            inProgressKey = StorePaths.BackupConfig(request.VolumeName, backupName);

            var known = await _store.ListBlockChecksumsAsync(request.VolumeName, ct).ConfigureAwait(false);
            // After the listing: a block another run was sending when it was listed is named by a record written
            // before it was sent, so by one this load sees.
            var leftovers = await InFlightLeftovers.LoadAsync(_store.Store, request.VolumeName, _store.ReadParallelism, ct).ConfigureAwait(false);
            if (!request.DryRun)
            {
                journal = new InFlightJournal(_store.Store, request.VolumeName, backupName, lockWritten.Task, blockSize, method);
                journal.Start(transferCancel.Token);
            }
            var pipeline = new BlockTransferPipeline
            {
                VolumeName = request.VolumeName,
                BlockSize = blockSize,
                CpuWorkers = cpuWorkers,
                Uploaders = request.UploadConcurrency ?? cpuWorkers,
                Journal = journal,
                Suspect = leftovers.Suspect,
                VerifyBeforeOverwrite = full && !_store.Store.ReplacesAtomically,
            };
            List<BlockTransferPipeline.ScannedBlock> scanned;
            HashSet<string> uploaded;
            try
            {
                (scanned, uploaded) = await pipeline.TransferAsync(diff?.Limit(request.Source) ?? request.Source, cache, known, full, CompressionMethods.Get(method), _store.Store,
                    counters, tracker, transferCancel.Token).ConfigureAwait(false);
            }
            catch (Exception) when (lockTask is { IsCompleted: true, IsCompletedSuccessfully: false })
            {
                await lockTask.ConfigureAwait(false);   // the lock's own error (LockConflict), not the transfer it stopped
                throw;
            }
            if (lockTask is not null && volumeLock is null) volumeLock = await lockTask.ConfigureAwait(false);

            // The blocks the store holds once this backup's own are in: from the listing under the lock, for volume.cfg.
            var pool = new HashSet<string>(known, StringComparer.Ordinal);
            if (!request.DryRun)
            {
                var latestVolume = await _store.LoadVolumeAsync(request.VolumeName, ct).ConfigureAwait(false);
                if (latestVolume is null)
                {
                    // A deletion removed the whole volume, our in-progress marker with it, during the lock wait: start
                    // it again, as Longhorn would.
                    await _store.SaveVolumeAsync(volume, ct).ConfigureAwait(false);
                    await _store.SaveBackupAsync(backup, ct).ConfigureAwait(false);
                    latestVolume = volume;
                }
                EnsureSourceFits(request, latestVolume, volumeSize);   // another backup may have grown the volume meanwhile
                if (diff is not null && !await diff.StillHoldsAsync(_store, ct).ConfigureAwait(false))
                {
                    // The base backup, or blocks this one keeps from it, went during the lock wait (a deletion ran):
                    // read the whole snapshot now, under the lock, as if there had been no base.
                    diff = null;
                    var knownNow = await _store.ListBlockChecksumsAsync(request.VolumeName, ct).ConfigureAwait(false);
                    var (all, uploadedNow) = await pipeline.TransferAsync(request.Source, null, knownNow, full, CompressionMethods.Get(method),
                        _store.Store, counters, tracker, ct).ConfigureAwait(false);
                    scanned = all;
                    uploaded.UnionWith(uploadedNow);
                }
                pool = await VerifyBlocksUnderLockAsync(request, pipeline, scanned, uploaded, method, latestVolume.EffectiveCompressionMethod,
                    counters, tracker, ct).ConfigureAwait(false);
                method = latestVolume.EffectiveCompressionMethod;
                backup.CompressionMethod = method;
                volume = latestVolume;
            }
            if (request.CompressionMethod is not null && request.CompressionMethod != method)
                warnings.Add($"Backup volume '{request.VolumeName}' uses {method} compression, fixed by its first backup; {request.CompressionMethod} was ignored.");

            backup.SnapshotName = request.SnapshotName;
            // A replica snapshot's own time (its .img.meta Created); an image's is unknown, so Longhorn's quirk, the
            // time the backup was initiated (docs/backupstore-format.md §2.2).
            backup.SnapshotCreatedAt = (request.Source as ISnapshotDiffSource)?.SnapshotCreatedAt is { } taken ? GoJson.FormatTime(taken) : now;
            var read = scanned.Select(b => new BlockMapping(b.Offset, b.Checksum));
            backup.Blocks = diff is null ? read.ToList() : diff.Merge(read, blockSize, volumeSize);
            backup.Size = (long)backup.Blocks.Count * blockSize;
            backup.Labels = CopyLabels(request.Labels);
            backup.Parameters = new Dictionary<string, string>
            {
                [BackupParameters.BlockSize] = blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [BackupParameters.Mode] = BackupParameters.ToParameter(request.Mode),
            };
            backup.IsIncremental = request.Mode == BackupMode.Incremental && lastBackup is not null;
            backup.NewlyUploadedDataSize = counters.newlyUploadedBytes;
            backup.ReUploadedDataSize = counters.reUploadedBytes;
            backup.CreatedTime = GoJson.FormatTime(_clock.GetUtcNow());
            (request.Source as ISnapshotDiffSource)?.EnsureUnchanged();   // never commit a torn view of a live replica
            if (journal is not null) await journal.CompleteAsync().ConfigureAwait(false);   // every block is sent
            await _store.SaveBackupAsync(backup, CancellationToken.None).ConfigureAwait(false);
            inProgressKey = null;

            // From here the backup is complete and restorable; volume.cfg only points at it.
            var latest = await _store.LoadVolumeAsync(request.VolumeName, CancellationToken.None).ConfigureAwait(false) ?? volume;
            latest.LastBackupName = backup.Name;
            latest.LastBackupAt = backup.SnapshotCreatedAt;
            latest.BlockCount = pool.Count;
            latest.Size = Math.Max(latest.Size, volumeSize);   // volumes only grow: earlier backups restore at their size
            latest.Labels = CopyLabels(request.Labels);
            latest.CompressionMethod = method;
            latest.DataEngine = latest.EffectiveDataEngine;
            await _store.SaveVolumeAsync(latest, CancellationToken.None).ConfigureAwait(false);
            if (!request.DryRun)
            {
                latest = await SettleBlockCountAsync(latest).ConfigureAwait(false);
                await DeleteRecordsQuietlyAsync(journal!, leftovers, pipeline, pool).ConfigureAwait(false);
            }
            if (cachePath is not null && !request.DryRun && diff is null)
                BlockChangeCache.Save(cachePath, backup.Name, blockSize, scanned.Select(b => (b.Offset, b.Fast, b.Checksum)).ToList());

            tracker.Complete("Completed");
            return new BackupResult(backup, latest, _store.BackupUrl(backup.VolumeName, backup.Name), counters, warnings)
            {
                DiffBaseSnapshot = diff?.Base.SnapshotName,
                BlocksChanged = diff is null ? null : BlockOffsets(diff.ChangedRanges, blockSize, volumeSize).Count,
            };
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct))
        {
            // The blocks stored so far stay (the next run finds them in its listing of the block pool); a dry run stored none.
            if (inProgressKey is not null && !request.DryRun) await DeleteQuietlyAsync(inProgressKey).ConfigureAwait(false);
            throw Cancellation.Stopped($"The backup of volume '{request.VolumeName}' was cancelled.", request.VolumeName,
                new CancelledWork(CancelledOperation.Backup, request.VolumeName)
                {
                    BlocksStored = request.DryRun ? 0 : counters.BlocksUploaded,
                    BytesStored = request.DryRun ? 0 : counters.BytesWritten,
                }, e);
        }
        catch when (inProgressKey is not null && !request.DryRun)
        {
            // A failed run leaves no in-progress cfg to block cleanup; the blocks it stored stay and the next run reuses them.
            await DeleteQuietlyAsync(inProgressKey).ConfigureAwait(false);
            throw;
        }
        finally
        {
            // A run that failed keeps its records: blocks it was sending may be torn, and the next run verifies them.
            if (journal is not null) await journal.CompleteAsync().ConfigureAwait(false);
            if (volumeLock is not null) await volumeLock.DisposeAsync().ConfigureAwait(false);
            else if (lockTask is not null)
            {
                // We gave up before waiting for the lock: release it if it was taken after all.
                try { await (await lockTask.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
                catch (Exception) { /* it was never taken */ }
            }
        }
    }

    /// <summary>Whether another client's live lock of another type (a deletion) is on the volume right now.</summary>
    private async Task<bool> OtherLiveLockAsync(string volumeName, CancellationToken ct)
    {
        var options = _locking ?? LockOptions.Default;
        var now = options.Clock.GetUtcNow();
        var locks = await VolumeLock.ListAsync(_store.Store, volumeName, ct).ConfigureAwait(false);
        return locks.Any(l => l.File.Type != LockType.BackupOrRestore && !LockRules.IsExpired(l, now, options.Expiry));
    }

    /// <summary>
    /// Under the lock, before the backup is committed: every block it references must be in the store. The transfer
    /// ran before the lock was held, against a listing taken then, so a deletion that ran and finished in between
    /// may have freed blocks it counted on (Longhorn's garbage collection frees unreferenced blocks; one that saw
    /// this backup's in-progress cfg frees none). One more listing finds them, and they are stored again now. Blocks
    /// compressed with another method than the volume's (a concurrent first backup of the same new volume chose
    /// another one) are stored again too.
    /// </summary>
    private async Task<HashSet<string>> VerifyBlocksUnderLockAsync(BackupRequest request, BlockTransferPipeline pipeline,
        IReadOnlyList<BlockTransferPipeline.ScannedBlock> scanned, HashSet<string> uploadedBefore, string usedMethod,
        string volumeMethod, BackupCounters counters, ProgressTracker tracker, CancellationToken ct)
    {
        var present = await _store.ListBlockChecksumsAsync(request.VolumeName, ct).ConfigureAwait(false);
        bool methodChanged = usedMethod != volumeMethod;
        var missing = scanned
            .GroupBy(b => b.Checksum, StringComparer.Ordinal).Select(g => g.First())
            .Where(b => !present.Contains(b.Checksum) || (methodChanged && uploadedBefore.Contains(b.Checksum)))
            .ToList();
        if (missing.Count == 0) return present;
        // Blocks counted as already in the store are new to it after all.
        counters.existingBlocksSkipped -= missing.Count(b => !uploadedBefore.Contains(b.Checksum));
        await pipeline.UploadMissingAsync(request.Source, missing, uploadedBefore, CompressionMethods.Get(volumeMethod), _store.Store,
            counters, tracker, ct).ConfigureAwait(false);
        present.UnionWith(missing.Select(b => b.Checksum));
        return present;
    }

    /// <summary>
    /// volume.cfg's BlockCount is the pool's size. Backups running side by side each write volume.cfg from their own
    /// listing, so the one written last could count fewer blocks than the store holds: list again after writing, and
    /// write again while the count has moved. Every writer does so after its last block is in, so the last write of
    /// all is from a listing that saw every block.
    /// </summary>
    private async Task<VolumeConfig> SettleBlockCountAsync(VolumeConfig written)
    {
        for (int round = 0; round < 5; round++)
        {
            int count = (await _store.ListBlockChecksumsAsync(written.Name, CancellationToken.None).ConfigureAwait(false)).Count;
            if (count == written.BlockCount) break;
            var latest = await _store.LoadVolumeAsync(written.Name, CancellationToken.None).ConfigureAwait(false) ?? written;
            latest.BlockCount = count;
            await _store.SaveVolumeAsync(latest, CancellationToken.None).ConfigureAwait(false);
            written = latest;
        }
        return written;
    }

    /// <summary>
    /// After the commit: this run's in-flight records go (every block it sent is whole and named by its cfg), and so do
    /// records of dead runs whose blocks this run verified or sent again. Best effort: a record left behind costs the
    /// next run a verification, never a wrong backup.
    /// </summary>
    private async Task DeleteRecordsQuietlyAsync(InFlightJournal journal, InFlightLeftovers leftovers, BlockTransferPipeline pipeline,
        HashSet<string> pool)
    {
        try
        {
            await journal.DeleteRecordsAsync(CancellationToken.None).ConfigureAwait(false);
            if (leftovers.Entries.Count == 0) return;
            var whole = new HashSet<string>(pipeline.Sent, StringComparer.Ordinal);
            whole.UnionWith(pipeline.VerifiedInStore);
            await leftovers.DeleteSettledAsync(_store.Store, journal.VolumeName, whole, pool, _locking ?? LockOptions.Default,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LonghornBackupException or IOException) { }
    }

    private readonly record struct VolumeState(VolumeConfig? Volume, BackupConfig? LastBackup, int BlockSize, long VolumeSize);

    /// <summary>The volume as recorded, its block size, and the volume size this source gives (checked to fit).</summary>
    private async Task<VolumeState> ReadVolumeStateAsync(BackupRequest request, CancellationToken ct)
    {
        var volume = await _store.LoadVolumeAsync(request.VolumeName, ct).ConfigureAwait(false);
        if (volume is { Size: > BlockMapRules.MaxVolumeSize }) BlockMapRules.ValidateVolumeSize(volume);
        var lastBackup = volume is null ? null : await LoadLastBackupAsync(volume, ct).ConfigureAwait(false);
        int blockSize = await ChooseBlockSizeAsync(request, volume, lastBackup, ct).ConfigureAwait(false);
        long volumeSize = (request.Source.Size + blockSize - 1) / blockSize * blockSize;
        if (volume is not null) EnsureSourceFits(request, volume, volumeSize);
        return new VolumeState(volume, lastBackup, blockSize, volumeSize);
    }

    /// <summary>
    /// Volumes only grow (Longhorn's rule): volume.cfg keeps one size, and every restore of every backup of the volume
    /// is sized by it, so a backup of a smaller source would make the earlier backups restore truncated.
    /// </summary>
    private static void EnsureSourceFits(BackupRequest request, VolumeConfig volume, long volumeSize)
    {
        if (volumeSize >= volume.Size) return;
        string source = request.Source.Description;
        throw new LonghornBackupException(ErrorIds.SnapshotSmallerThanVolume, ErrorKind.InvalidArgument,
            $"The snapshot '{source}' is {Describe(request.Source.Size)}, smaller than backup volume '{request.VolumeName}', " +
            $"which records {Describe(volume.Size)}. Volumes only grow: backing it up would shrink the volume and make " +
            "restores of its earlier backups lose their data beyond that size. Nothing was written.",
            source, $"Back this snapshot up under a new volume name (-VolumeName), or check that '{source}' is a snapshot of '{request.VolumeName}'.");
    }

    private static string Describe(long bytes) =>
        FormattableString.Invariant($"{bytes} bytes ({bytes / 1048576.0:0.##} MiB)");

    private static void ValidateSnapshotName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 253 || name.Any(char.IsControl))
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid snapshot name: give a non-empty name of at most 253 printable characters.", name);
    }

    private async Task<BackupConfig?> LoadLastBackupAsync(VolumeConfig volume, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(volume.LastBackupName) || !NameRules.IsValidStoreName(volume.LastBackupName)) return null;
        try
        {
            var cfg = await _store.LoadBackupAsync(volume.Name, volume.LastBackupName, ct).ConfigureAwait(false);
            return cfg is { IsInProgress: false } ? cfg : null;
        }
        catch (LonghornBackupException e) when (e.ErrorId == ErrorIds.CorruptConfig)
        {
            return null;   // Longhorn too falls back to a non-incremental backup when the last cfg cannot be loaded.
        }
    }

    /// <summary>The block size is fixed per backup volume: an incremental chain must not change it (docs/backupstore-format.md §4.2).</summary>
    private async Task<int> ChooseBlockSizeAsync(BackupRequest request, VolumeConfig? volume, BackupConfig? last, CancellationToken ct)
    {
        long? volumeBlockSize = last?.BlockSize;
        if (volumeBlockSize is null && volume is not null)
        {
            foreach (var name in (await _store.ListBackupNamesAsync(volume.Name, ct).ConfigureAwait(false)).Reverse())
            {
                BackupConfig? cfg;
                try { cfg = await _store.LoadBackupAsync(volume.Name, name, ct).ConfigureAwait(false); }
                catch (LonghornBackupException e) when (e.ErrorId == ErrorIds.CorruptConfig) { continue; }
                if (cfg is { IsInProgress: false }) { volumeBlockSize = cfg.BlockSize; break; }
            }
        }
        if (volumeBlockSize is long existing && request.BlockSize is int wanted && wanted != existing)
            throw new LonghornBackupException(ErrorIds.BlockSizeMismatch, ErrorKind.InvalidArgument,
                $"Backup volume '{request.VolumeName}' uses {existing}-byte blocks; a backup of it cannot use {wanted}-byte blocks.",
                request.VolumeName, "Leave -BlockSize out, or back up under a new volume name.");
        long size = request.BlockSize ?? volumeBlockSize ?? BlockSizes.Default;
        BlockSizes.Validate(size);
        return (int)size;
    }

    /// <summary>Block-aligned offsets that intersect the data ranges, ascending, each once.</summary>
    internal static List<long> BlockOffsets(IReadOnlyList<DataRange> ranges, int blockSize, long size)
    {
        var offsets = new List<long>();
        long next = 0;
        foreach (var r in ranges)
        {
            long first = Math.Max(next, r.Start / blockSize * blockSize);
            long end = Math.Min(size, r.End);
            for (long o = first; o < end; o += blockSize) offsets.Add(o);
            if (offsets.Count > 0) next = offsets[^1] + blockSize;
        }
        return offsets;
    }

    private static Dictionary<string, string>? CopyLabels(IReadOnlyDictionary<string, string>? labels) =>
        labels is null || labels.Count == 0 ? null : labels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private async Task DeleteQuietlyAsync(string key)
    {
        try { await _store.Store.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception) { /* best effort: an in-progress cfg left behind is shown by Get-LhBackup and can be removed */ }
    }
}
