using System.Buffers;
using System.Collections.Concurrent;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Checks that backups of a volume can be restored, without restoring them. Quick: every referenced block exists
/// (one listing of the block pool). Deep: every referenced block is read, decompressed and checked against its
/// checksum exactly as a restore does, each distinct block once, in parallel. Runs under a type-1 lock, like a
/// restore, so a deletion cannot make blocks vanish under it and cause false alarms.
/// </summary>
public sealed class BackupVerifier
{
    private readonly Backupstore _store;
    private readonly LockOptions? _locking;

    public BackupVerifier(Backupstore store, LockOptions? locking = null)
    {
        _store = store;
        _locking = locking;
    }

    private sealed class BlockReference(string method, int blockSize)
    {
        public string Method { get; } = method;
        public int BlockSize { get; } = blockSize;
        public List<int> Backups { get; } = new();
    }

    public async Task<VolumeVerification> VerifyAsync(VerificationRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        string volumeName = request.VolumeName;
        NameRules.ValidateVolumeNameForRead(volumeName);
        foreach (var name in request.BackupNames ?? Array.Empty<string>()) NameRules.ValidateBackupName(name);
        if (await _store.Store.StatAsync(StorePaths.VolumeConfig(volumeName), ct).ConfigureAwait(false) is null
            && (await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false)).Count == 0)
            throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                $"The backup volume '{volumeName}' does not exist on the backup target {_store.Url}.", volumeName,
                "List the volumes with Get-LhBackupVolume.");

        try
        {
            await using var volumeLock = await VolumeLock.AcquireAsync(_store.Store, volumeName, LockType.BackupOrRestore, "verification",
                request.LockTimeout, _locking, ct).ConfigureAwait(false);
            return await VerifyLockedAsync(request, progress, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct))
        {
            throw Cancellation.Stopped($"The verification of volume '{volumeName}' was cancelled.", volumeName,
                new CancelledWork(CancelledOperation.Verification, volumeName), e);
        }
    }

    private async Task<VolumeVerification> VerifyLockedAsync(VerificationRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        string volumeName = request.VolumeName;
        var all = await _store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false);
        var notFound = new List<string>();
        List<string> selected;
        if (request.BackupNames is null) selected = all.ToList();
        else
        {
            var existing = all.ToHashSet(StringComparer.Ordinal);
            selected = request.BackupNames.Distinct(StringComparer.Ordinal).Where(existing.Contains).ToList();
            notFound.AddRange(request.BackupNames.Distinct(StringComparer.Ordinal).Where(n => !existing.Contains(n)));
        }

        VolumeConfig? volume = null;
        try { volume = await _store.LoadVolumeAsync(volumeName, ct).ConfigureAwait(false); }
        catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData) { /* only its compression default is used */ }

        var step = new StepProgress(progress, $"Verifying backups of {volumeName}");
        var verdicts = new List<(string Name, BackupHealth? Health, BackupConfig? Config, string? Error)>();
        var references = new Dictionary<string, BlockReference>(StringComparer.Ordinal);
        for (int i = 0; i < selected.Count; i++)
        {
            step.Report("Reading backup configs", i, selected.Count, 0, 5);
            string name = selected[i];
            BackupConfig? cfg;
            try { cfg = await _store.LoadBackupAsync(volumeName, name, ct).ConfigureAwait(false); }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
            {
                verdicts.Add((name, BackupHealth.Error, null, e.Message));
                continue;
            }
            if (cfg is null) { notFound.Add(name); continue; }
            if (cfg.IsInProgress) { verdicts.Add((name, BackupHealth.InProgress, cfg, null)); continue; }
            if (cfg.BlockSize is not long blockSize || blockSize <= 0 || blockSize > BlockSizes.Large * 4L)
            {
                verdicts.Add((name, BackupHealth.Error, cfg,
                    $"The backup '{name}' records a block size that cannot be used: '{cfg.Parameters?.GetValueOrDefault(BackupParameters.BlockSize)}'."));
                continue;
            }
            var fit = FitProblem(cfg, blockSize, volume);
            if (fit is { Health: BackupHealth.Error })
            {
                verdicts.Add((name, BackupHealth.Error, cfg, fit.Value.Detail));   // a damaged map or volume size
                continue;
            }
            string method = cfg.CompressionMethod.Length > 0 ? cfg.CompressionMethod : volume?.EffectiveCompressionMethod ?? "gzip";
            int index = verdicts.Count;
            verdicts.Add((name, fit?.Health, cfg, fit?.Detail));   // an Inconsistent backup's blocks are checked too
            foreach (var b in cfg.Blocks)
            {
                if (!references.TryGetValue(b.BlockChecksum, out var r))
                    references[b.BlockChecksum] = r = new BlockReference(method, (int)blockSize);
                if (r.Backups.Count == 0 || r.Backups[^1] != index) r.Backups.Add(index);
            }
        }

        var present = await _store.ListBlockChecksumsAsync(volumeName, ct).ConfigureAwait(false);
        var found = new ConcurrentDictionary<string, (BlockProblemKind Kind, string Detail)>(StringComparer.Ordinal);
        foreach (var checksum in references.Keys.Where(c => !present.Contains(c)))
            found[checksum] = (BlockProblemKind.Missing, "The block file is not in the store.");

        long bytesRead = 0;
        var share = request.Share ?? BlockShare.All;
        bool IsRead(string checksum) => request.Deep && present.Contains(checksum) && share.Includes(checksum);
        if (request.Deep)
            bytesRead = await ReadAndVerifyAsync(volumeName, references.Where(r => IsRead(r.Key)).ToList(), request.Concurrency,
                found, progress, ct).ConfigureAwait(false);

        var problems = found.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => new BlockProblem(
            p.Key, StorePaths.Block(volumeName, p.Key), p.Value.Kind, p.Value.Detail,
            references[p.Key].Backups.Select(i => verdicts[i].Name).ToList()), StringComparer.Ordinal);

        var results = verdicts.Select(v =>
        {
            string url = _store.BackupUrl(volumeName, v.Name);
            if (v.Health is BackupHealth known and not BackupHealth.Inconsistent)
                return new BackupVerificationResult(volumeName, v.Name, url, known, v.Config, v.Config?.Blocks.Count ?? 0, Array.Empty<BlockProblem>(), v.Error);
            var mine = v.Config!.Blocks.Select(b => b.BlockChecksum).Distinct(StringComparer.Ordinal)
                .Where(problems.ContainsKey).Select(c => problems[c]).ToList();
            // Broken blocks make a backup unrestorable; blocks beyond the volume size only need the restore's consent.
            var health = mine.Count == 0 ? v.Health ?? BackupHealth.Healthy
                : mine.Any(p => p.Kind == BlockProblemKind.Missing) ? BackupHealth.Missing : BackupHealth.Corrupt;
            var distinct = v.Config.Blocks.Select(b => b.BlockChecksum).Distinct(StringComparer.Ordinal).ToList();
            return new BackupVerificationResult(volumeName, v.Name, url, health, v.Config, distinct.Count, mine, v.Error)
            {
                BlocksRead = distinct.Count(IsRead),
            };
        }).ToList();

        var ordered = await BackupOrder.OldestFirstAsync(_store, results, r => (r.VolumeName, r.BackupName, r.Config), ct).ConfigureAwait(false);
        step.Complete("Done");
        return new VolumeVerification(volumeName, request.Deep, ordered, problems.Values.ToList(), references.Count, bytesRead, notFound)
        {
            Share = request.Deep ? share.Text : "all",
        };
    }

    /// <summary>
    /// What a restore would refuse before reading a block: a damaged block map or volume size (Error), or blocks mapped
    /// at or beyond the volume's recorded size (Inconsistent). Null when the map fits. Without a readable volume.cfg
    /// only the map itself is checked.
    /// </summary>
    private static (BackupHealth Health, string Detail)? FitProblem(BackupConfig cfg, long blockSize, VolumeConfig? volume)
    {
        try
        {
            BlockMapRules.ValidateOffsets(cfg, blockSize);
            if (volume is null) return null;
            BlockMapRules.ValidateVolumeSize(volume);
        }
        catch (LonghornBackupException e) when (e.ErrorId == ErrorIds.CorruptConfig)
        {
            return (BackupHealth.Error, e.Message);
        }
        return BlockMapRules.FindBlocksBeyond(cfg, volume.Size, blockSize) is { } beyond
            ? (BackupHealth.Inconsistent, $"{beyond.Describe()} Restore it with -IncludeBlocksBeyondVolumeSize.")
            : null;
    }

    /// <summary>
    /// Reads each block once, in parallel, and records the ones that fail as a restore would fail on them: a block that
    /// does not decode to its checksum is read again first (three reads in all), as a restore does, since block bodies
    /// are not checked in transit (see IBufferedObjectReader) and damage on the way is not damage in the store.
    /// </summary>
    private async Task<long> ReadAndVerifyAsync(string volumeName, List<KeyValuePair<string, BlockReference>> blocks, int? concurrency,
        ConcurrentDictionary<string, (BlockProblemKind Kind, string Detail)> found, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var tracker = new ProgressTracker(progress, $"Verifying blocks of {volumeName}", blocks.Sum(b => (long)b.Value.BlockSize));
        var buffers = new ConcurrentBag<(ArrayBufferWriter<byte> Stored, ArrayBufferWriter<byte> Decoded)>();
        long bytesRead = 0;
        int workers = Math.Max(1, concurrency ?? Math.Max(2, Environment.ProcessorCount));
        await Parallel.ForEachAsync(blocks, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct },
            async (block, token) =>
            {
                string key = StorePaths.Block(volumeName, block.Key);
                if (!buffers.TryTake(out var buffer)) buffer = (new ArrayBufferWriter<byte>(block.Value.BlockSize + block.Value.BlockSize / 64 + 1024), new ArrayBufferWriter<byte>());
                try
                {
                    var data = await BlockVerifier.ReadVerifiedAsync(_store.Store, key, block.Key, block.Value.Method, block.Value.BlockSize,
                        buffer.Stored, buffer.Decoded, readsSoFar: 0, n => Interlocked.Add(ref bytesRead, n), token).ConfigureAwait(false);
                    if (data is null)
                    {
                        found[block.Key] = (BlockProblemKind.Missing, "The block file disappeared from the store during the check.");
                        return;
                    }
                }
                catch (LonghornBackupException e) when (e.Kind is ErrorKind.ReadError)
                {
                    found[block.Key] = (BlockProblemKind.Corrupt, $"The block file cannot be read: {e.Message}");
                    return;
                }
                catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData)
                {
                    found[block.Key] = (BlockProblemKind.Corrupt, e.Message);
                }
                finally { buffers.Add(buffer); }
                tracker.Add(block.Value.BlockSize, "Reading and checking blocks");
            }).ConfigureAwait(false);
        return bytesRead;
    }
}
