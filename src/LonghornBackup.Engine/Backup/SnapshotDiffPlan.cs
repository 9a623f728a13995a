using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// A snapshot-diff incremental as Longhorn's engine decides it (docs/backupstore-format.md §4.2): the volume's last backup is of a snapshot
/// that is still in this source's chain below the snapshot backed up, so only the blocks holding a sector written
/// above it are read, and the rest of the block map is the last backup's.
/// </summary>
internal sealed record SnapshotDiffPlan(BackupConfig Base, IReadOnlyList<DataRange> ChangedRanges)
{
    /// <summary>The plan for this request, or null when the whole snapshot is read (full mode, no usable base).</summary>
    public static SnapshotDiffPlan? For(BackupRequest request, BackupConfig? last, int blockSize)
    {
        if (request.Mode == BackupMode.Full || last is null || last.IsInProgress || request.Source is not ISnapshotDiffSource source)
            return null;
        // Backing up the snapshot of the last backup again reads it whole (Longhorn's documented way to force that).
        if (last.SnapshotName == source.SnapshotName || last.BlockSize != blockSize) return null;
        var changed = source.GetChangedRanges(last.SnapshotName);
        return changed is null ? null : new SnapshotDiffPlan(last, changed);
    }

    /// <summary>
    /// Whether what the plan keeps is still there, checked under the lock: the base backup's cfg, and every block of
    /// its map that this backup keeps. The transfer ran during the lock protocol's wait, when a deletion may have
    /// removed the base and freed its blocks; no deletion can start while the lock is held.
    /// </summary>
    public async Task<bool> StillHoldsAsync(Catalog.Backupstore store, CancellationToken ct)
    {
        if (await store.Store.StatAsync(StorePaths.BackupConfig(Base.VolumeName, Base.Name), ct).ConfigureAwait(false) is null) return false;
        var present = await store.ListBlockChecksumsAsync(Base.VolumeName, ct).ConfigureAwait(false);
        return Base.Blocks.All(b => present.Contains(b.BlockChecksum));
    }

    /// <summary>The source seen through the changed ranges only.</summary>
    public IBlockSource Limit(IBlockSource source) => new ChangedRangesSource(source, ChangedRanges);

    /// <summary>
    /// The last backup's map with every block that holds a changed sector replaced by what was read: a changed block
    /// that now reads as zeros leaves the map (unlisted offsets restore as zeros).
    /// </summary>
    public List<BlockMapping> Merge(IEnumerable<BlockMapping> read, int blockSize, long size)
    {
        var changedOffsets = BackupEngine.BlockOffsets(ChangedRanges, blockSize, size).ToHashSet();
        return Base.Blocks.Where(b => !changedOffsets.Contains(b.Offset)).Concat(read)
            .OrderBy(b => b.Offset).ToList();
    }

    private sealed class ChangedRangesSource(IBlockSource inner, IReadOnlyList<DataRange> changed) : IBlockSource
    {
        public long Size => inner.Size;
        public string Description => inner.Description;
        public IReadOnlyList<DataRange> GetDataRanges() => changed;
        public void ReadAt(long offset, Span<byte> buffer) => inner.ReadAt(offset, buffer);
        public void Dispose() { }   // the request owns the source
    }
}
