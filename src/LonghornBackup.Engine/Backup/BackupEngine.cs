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
/// Creates one backup the way Longhorn's CreateDeltaBlockBackup does (spec §4): volume.cfg if new, the in-progress
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

    public Task<BackupResult> RunAsync(BackupRequest request, IProgress<OperationProgress>? progress, CancellationToken ct) =>
        request.DryRun
            ? new BackupEngine(new Backupstore(new PreviewStore(_store.Store), _store.Url), _clock, _locking).RunCoreAsync(request, progress, ct)
            : RunCoreAsync(request, progress, ct);

    private async Task<BackupResult> RunCoreAsync(BackupRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForWrite(request.VolumeName);
        ValidateSnapshotName(request.SnapshotName);
        LabelRules.Validate(request.Labels);
        if (request.CompressionMethod is not null) CompressionMethods.Get(request.CompressionMethod);
        if (request.BlockSize is int requested) BlockSizes.Validate(requested);
        if (request.BackupName is not null) NameRules.ValidateBackupName(request.BackupName);
        if (request.Source.Size <= 0)
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidData,
                $"The snapshot image '{request.Source.Description}' is empty.", request.Source.Description);

        // Longhorn's type-1 lock for the whole backup (spec §4.1 step 1): no deletion can free blocks this backup
        // reuses. Taking it costs Longhorn's 2 s check wait; the scan, which only reads the snapshot, runs meanwhile,
        // and a lock conflict stops the scan at once. A dry run writes nothing, not even a lock file.
        using var scanCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<VolumeLock>? lockTask = request.DryRun ? null
            : VolumeLock.AcquireAsync(_store.Store, request.VolumeName, LockType.BackupOrRestore, "backup", request.LockTimeout, _locking, ct);
        _ = lockTask?.ContinueWith(t => { if (!t.IsCompletedSuccessfully) scanCancel.Cancel(); },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        VolumeLock? volumeLock = null;
        try
        {
            // Reads need no lock in Longhorn's protocol; volume.cfg is read again under the lock before any write.
            var warnings = new List<string>();
            var volume = await _store.LoadVolumeAsync(request.VolumeName, ct).ConfigureAwait(false);
            var lastBackup = volume is null ? null : await LoadLastBackupAsync(volume, ct).ConfigureAwait(false);
            int blockSize = await ChooseBlockSizeAsync(request, volume, lastBackup, ct).ConfigureAwait(false);

            long imageSize = request.Source.Size;
            long volumeSize = (imageSize + blockSize - 1) / blockSize * blockSize;
            if (volumeSize != imageSize)
                warnings.Add($"The image is {imageSize} bytes, not a multiple of the {blockSize}-byte block size; the backup volume records {volumeSize} bytes and restores pad the image with zeros to that size, as Longhorn requires.");

            string backupName = request.BackupName ?? NameRules.NewBackupName();
            if (await _store.Store.StatAsync(StorePaths.BackupConfig(request.VolumeName, backupName), ct).ConfigureAwait(false) is not null)
                throw new LonghornBackupException(ErrorIds.BackupNameInUse, ErrorKind.AlreadyExists,
                    $"A backup named '{backupName}' already exists in volume '{request.VolumeName}'.", backupName);

            bool full = request.Mode == BackupMode.Full;
            string? cachePath = request.UseChangeCache
                ? BlockChangeCache.PathFor(request.ChangeCacheDirectory ?? BlockChangeCache.DefaultDirectory(), _store.Url.Canonical, request.VolumeName)
                : null;
            int cpuWorkers = request.Concurrency ?? Math.Max(2, Environment.ProcessorCount);
            var pipeline = new BlockTransferPipeline
            {
                VolumeName = request.VolumeName,
                BlockSize = blockSize,
                CpuWorkers = cpuWorkers,
                Uploaders = request.UploadConcurrency ?? cpuWorkers,
            };
            var counters = new BackupCounters();
            var tracker = new ProgressTracker(progress, $"Backing up {request.VolumeName}", imageSize);
            var cache = full || cachePath is null ? null : BlockChangeCache.LoadTrusted(cachePath, lastBackup, blockSize);
            List<BlockTransferPipeline.ScannedBlock> scanned;
            try
            {
                scanned = await pipeline.ScanAsync(request.Source, cache, counters, tracker, scanCancel.Token).ConfigureAwait(false);
            }
            catch (Exception) when (lockTask is { IsCompleted: true, IsCompletedSuccessfully: false })
            {
                await lockTask.ConfigureAwait(false);   // the lock's own error (LockConflict), not the scan it stopped
                throw;
            }
            if (lockTask is not null) volumeLock = await lockTask.ConfigureAwait(false);

            // Under the lock, in Longhorn's write order: volume.cfg if new, the in-progress cfg, blocks, final cfg, volume.cfg.
            volume = await _store.LoadVolumeAsync(request.VolumeName, ct).ConfigureAwait(false) ?? volume;
            string now = GoJson.FormatTime(_clock.GetUtcNow());
            if (volume is null)
            {
                volume = new VolumeConfig
                {
                    Name = request.VolumeName,
                    Size = volumeSize,
                    Labels = CopyLabels(request.Labels),
                    CreatedTime = now,
                    CompressionMethod = request.CompressionMethod ?? CompressionMethods.Default,
                };
                await _store.SaveVolumeAsync(volume, ct).ConfigureAwait(false);
            }
            string method = volume.EffectiveCompressionMethod;
            if (request.CompressionMethod is not null && request.CompressionMethod != method)
                warnings.Add($"Backup volume '{request.VolumeName}' uses {method} compression, fixed by its first backup; {request.CompressionMethod} was ignored.");
            var compressor = CompressionMethods.Get(method);

            var backup = new BackupConfig
            {
                Name = backupName,
                VolumeName = request.VolumeName,
                CompressionMethod = method,
            };
            // The in-progress marker (CreatedTime empty) goes first, so a crash leaves a visible, removable trace.
            await _store.SaveBackupAsync(backup, ct).ConfigureAwait(false);
            try
            {
                var existing = await _store.ListBlockChecksumsAsync(request.VolumeName, ct).ConfigureAwait(false);
                await pipeline.UploadAsync(request.Source, scanned, existing, full, compressor, _store.Store, counters, tracker, ct).ConfigureAwait(false);
            }
            catch
            {
                // A failed run leaves no in-progress cfg to block cleanup; the blocks it stored stay and the next run reuses them.
                await DeleteQuietlyAsync(StorePaths.BackupConfig(request.VolumeName, backupName)).ConfigureAwait(false);
                throw;
            }

            backup.SnapshotName = request.SnapshotName;
            backup.SnapshotCreatedAt = now;   // Longhorn quirk: the time the backup was initiated (spec §2.2)
            backup.Blocks = scanned.Select(b => new BlockMapping(b.Offset, b.Checksum)).ToList();
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
            await _store.SaveBackupAsync(backup, CancellationToken.None).ConfigureAwait(false);

            // From here the backup is complete and restorable; volume.cfg only points at it.
            var latest = await _store.LoadVolumeAsync(request.VolumeName, CancellationToken.None).ConfigureAwait(false) ?? volume;
            latest.LastBackupName = backup.Name;
            latest.LastBackupAt = backup.SnapshotCreatedAt;
            latest.BlockCount += counters.newBlocks;
            latest.Size = volumeSize;
            latest.Labels = CopyLabels(request.Labels);
            latest.CompressionMethod = method;
            latest.DataEngine = latest.EffectiveDataEngine;
            await _store.SaveVolumeAsync(latest, CancellationToken.None).ConfigureAwait(false);
            if (cachePath is not null && !request.DryRun)
                BlockChangeCache.Save(cachePath, backup.Name, blockSize, scanned.Select(b => (b.Offset, b.Fast, b.Checksum)).ToList());

            progress?.Report(new OperationProgress($"Backing up {request.VolumeName}", "Completed", counters.BytesRead, imageSize, 100, Completed: true));
            return new BackupResult(backup, latest, _store.BackupUrl(backup.VolumeName, backup.Name), counters, warnings);
        }
        finally
        {
            if (volumeLock is not null) await volumeLock.DisposeAsync().ConfigureAwait(false);
            else if (lockTask is not null)
            {
                // We gave up before waiting for the lock: release it if it was taken after all.
                try { await (await lockTask.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
                catch (Exception) { /* it was never taken */ }
            }
        }
    }

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

    /// <summary>The block size is fixed per backup volume: an incremental chain must not change it (spec §4.2).</summary>
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
