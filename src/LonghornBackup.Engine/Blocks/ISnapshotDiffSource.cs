namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// A source that is one snapshot of a chain and knows what changed since an earlier snapshot of it, as Longhorn's
/// engine does (docs/backupstore-format.md §4.2): an incremental backup then reads only the changed ranges and keeps the rest of the last
/// backup's block map.
/// </summary>
public interface ISnapshotDiffSource : IBlockSource
{
    /// <summary>The snapshot this source reads.</summary>
    string SnapshotName { get; }

    /// <summary>
    /// When the snapshot itself was taken, as the chain records it; null when it records none (the live head, a layer
    /// written without a time). A backup records this as its SnapshotCreatedAt, so retention counts it by its data's age.
    /// </summary>
    DateTimeOffset? SnapshotCreatedAt { get; }

    /// <summary>
    /// Sorted, disjoint ranges that may differ from <paramref name="baseSnapshotName"/>, or null when that snapshot is
    /// not in this chain below this one (deleted, another branch, or this very snapshot): then the whole chain is read.
    /// </summary>
    IReadOnlyList<DataRange>? GetChangedRanges(string baseSnapshotName);

    /// <summary>Throws SnapshotChanged when what was read changed since the source was opened.</summary>
    void EnsureUnchanged();
}
