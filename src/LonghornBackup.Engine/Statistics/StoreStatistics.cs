using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Engine.Statistics;

/// <summary>
/// Measures a backup volume from its cfgs and one sized listing of its block pool, reading no block. Memory is the
/// reference table (32-byte key and a few numbers per block) plus the block maps being read at once, never every
/// backup's map together.
/// </summary>
public static class StoreStatistics
{
    /// <summary>Per block: its stored size (-1 when the pool lacks it), how many backups reference it, and the first that did.</summary>
    private struct BlockEntry
    {
        public long StoredSize;
        public int References;
        public int FirstBackup;
        public long BlockSize;
    }

    /// <summary>What one backup's cfg gave, before the exclusive figures (which need every backup) are known.</summary>
    private sealed record Partial(string Name, BackupConfig? Config, string? Error, long DistinctBlocks, long StoredSize, long MissingBlocks);

    public static async Task<VolumeStatistics> MeasureVolumeAsync(this Backupstore store, string volumeName,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var steps = new StepProgress(progress, $"Measuring backup volume '{volumeName}'");
        var volume = await store.LoadVolumeAsync(volumeName, ct).ConfigureAwait(false);

        steps.Report("Listing the block pool", 0, 0, 0, 0, force: true);
        var table = new Dictionary<BlockKey, BlockEntry>();
        long poolBlocks = 0, poolStored = 0;
        await foreach (var (relative, size) in store.Store.ListTreeAsync(StorePaths.BlocksDir(volumeName), ct).ConfigureAwait(false))
        {
            if (BlockChecksumOf(relative) is not { } checksum || !BlockKey.TryParse(checksum, out var key)) continue;
            table[key] = new BlockEntry { StoredSize = size, FirstBackup = -1 };
            poolBlocks++;
            poolStored += size;
        }

        var names = await store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false);
        var partials = new Partial?[names.Count];
        int read = 0;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = store.ReadParallelism,
            CancellationToken = ct,
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), options, async (index, token) =>
        {
            partials[index] = await ReadBackupAsync(store, volumeName, names[index], index, table, token).ConfigureAwait(false);
            steps.Report("Reading backup cfgs", Interlocked.Increment(ref read), names.Count, 10, 95);
        }).ConfigureAwait(false);

        // Blocks referenced by exactly one backup are what removing that backup frees.
        var exclusiveBlocks = new long[names.Count];
        var exclusiveStored = new long[names.Count];
        long referenced = 0, referencedData = 0, stored = 0, presentData = 0, missing = 0, unreferenced = 0, unreferencedStored = 0;
        foreach (var entry in table.Values)
        {
            if (entry.References == 0)
            {
                unreferenced++;
                unreferencedStored += entry.StoredSize;
                continue;
            }
            referenced++;
            referencedData += entry.BlockSize;
            if (entry.StoredSize < 0) { missing++; continue; }
            stored += entry.StoredSize;
            presentData += entry.BlockSize;
            if (entry.References == 1)
            {
                exclusiveBlocks[entry.FirstBackup]++;
                exclusiveStored[entry.FirstBackup] += entry.StoredSize;
            }
        }

        var backups = new List<BackupStatistics>();
        for (int i = 0; i < partials.Length; i++)
            if (partials[i] is { } p) backups.Add(ToStatistics(volumeName, p, exclusiveBlocks[i], exclusiveStored[i]));
        backups.Sort((a, b) => a.CreatedAt is { } x && b.CreatedAt is { } y && x != y
            ? x.CompareTo(y)
            : a.CreatedAt.HasValue != b.CreatedAt.HasValue ? (a.CreatedAt.HasValue ? -1 : 1)   // in progress and unreadable last
            : string.CompareOrdinal(a.BackupName, b.BackupName));
        steps.Complete($"Measured {backups.Count} backups and {poolBlocks} blocks");

        return new VolumeStatistics
        {
            VolumeName = volumeName,
            Size = volume?.Size ?? 0,
            Backups = backups,
            UnreadableBackups = backups.Count(b => b.Error is not null),
            LogicalDataSize = backups.Sum(b => b.DataSize),
            ReferencedBlocks = referenced,
            ReferencedDataSize = referencedData,
            StoredSize = stored,
            PoolBlocks = poolBlocks,
            PoolStoredSize = poolStored,
            UnreferencedBlocks = unreferenced,
            UnreferencedStoredSize = unreferencedStored,
            MissingBlocks = missing,
            CompressionRatio = stored == 0 ? 0 : (double)presentData / stored,
        };
    }

    /// <summary>Reads one cfg and counts its distinct blocks into the table; null when the backup went meanwhile.</summary>
    private static async Task<Partial?> ReadBackupAsync(Backupstore store, string volumeName, string name, int index,
        Dictionary<BlockKey, BlockEntry> table, CancellationToken ct)
    {
        BackupConfig? cfg;
        try { cfg = await store.LoadBackupAsync(volumeName, name, ct).ConfigureAwait(false); }
        catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
        {
            return new Partial(name, null, e.Message, 0, 0, 0);
        }
        if (cfg is null) return null;

        long blockSize = cfg.BlockSize ?? BlockSizes.Default;
        var distinct = new HashSet<BlockKey>();
        foreach (var block in cfg.Blocks)
            if (BlockKey.TryParse(block.BlockChecksum, out var key)) distinct.Add(key);

        long storedSize = 0, missing = 0;
        lock (table)
        {
            foreach (var key in distinct)
            {
                if (!table.TryGetValue(key, out var entry)) entry = new BlockEntry { StoredSize = -1, FirstBackup = -1 };
                entry.References++;
                if (entry.FirstBackup < 0) entry.FirstBackup = index;
                if (entry.BlockSize == 0) entry.BlockSize = blockSize;
                table[key] = entry;
                if (entry.StoredSize < 0) missing++;
                else storedSize += entry.StoredSize;
            }
        }
        return new Partial(name, cfg, null, distinct.Count, storedSize, missing);
    }

    private static BackupStatistics ToStatistics(string volumeName, Partial p, long exclusiveBlocks, long exclusiveStored)
    {
        var cfg = p.Config;
        long blockSize = cfg?.BlockSize ?? BlockSizes.Default;
        return new BackupStatistics
        {
            VolumeName = volumeName,
            BackupName = p.Name,
            CreatedAt = cfg is null || cfg.IsInProgress ? null : GoJson.ParseTime(cfg.CreatedTime),
            IsInProgress = cfg?.IsInProgress ?? false,
            BlockSize = blockSize,
            Blocks = cfg?.Blocks.Count ?? 0,
            DataSize = (cfg?.Blocks.Count ?? 0) * blockSize,
            DistinctBlocks = p.DistinctBlocks,
            StoredSize = p.StoredSize,
            ExclusiveBlocks = exclusiveBlocks,
            ExclusiveStoredSize = exclusiveStored,
            MissingBlocks = p.MissingBlocks,
            Error = p.Error,
        };
    }

    /// <summary>The checksum of a pool key "xx/yy/&lt;checksum&gt;.blk" (relative to the blocks folder), or null.</summary>
    private static string? BlockChecksumOf(string relative)
    {
        var parts = relative.Split('/');
        if (parts.Length != 3 || StorePaths.ChecksumFromBlockFile(parts[2]) is not { } checksum) return null;
        return checksum.Length > 4 && parts[0] == checksum[..2] && parts[1] == checksum[2..4] ? checksum : null;
    }
}
