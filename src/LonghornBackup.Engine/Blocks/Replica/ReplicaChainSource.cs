using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>
/// A snapshot of a Longhorn replica directory read as a flat image, the way the engine reads it (docs/backupstore-format.md §10): each 4 KiB
/// sector comes from the newest layer at or below the snapshot that holds it, else from the backing file, else zeros.
/// The location index is a sorted list of (range, layer) segments built from the layers' extents, so its size follows
/// the number of extents, never the size of the volume. The head (the live layer) is read only when asked for by name.
/// </summary>
public sealed class ReplicaChainSource : ISnapshotDiffSource
{
    private readonly List<ReplicaLayer> _layers;   // newest first: [0] is the snapshot's own layer
    private readonly ReplicaLayer? _backing;
    private readonly List<Segment> _segments;      // sorted by Start, disjoint
    private readonly List<DataRange> _dataRanges;

    /// <summary>A range of the volume and the layer it is read from (-1: the backing file).</summary>
    private readonly record struct Segment(long Start, long End, int Layer);

    private ReplicaChainSource(ReplicaDirectory replica, string snapshotName, List<ReplicaLayer> layers, ReplicaLayer? backing)
    {
        Replica = replica;
        SnapshotName = snapshotName;
        // The head is live: its .img.meta time is when the last snapshot started it, not a snapshot's.
        SnapshotCreatedAt = snapshotName == ReplicaDirectory.HeadName ? null : Format.GoJson.ParseTime(replica.Layers[layers[0].Name].Created);
        _layers = layers;
        _backing = backing;
        Size = replica.Info.Size;
        Description = $"{replica.Path} (snapshot {snapshotName})";

        // Newest layer first: each takes the sectors no newer layer holds; the backing file takes what is left of its data.
        var covered = new List<DataRange>();
        _segments = new List<Segment>();
        for (int i = 0; i < layers.Count; i++) covered = Claim(layers[i].Extents, covered, i);
        if (backing is not null) covered = Claim(backing.Extents, covered, -1);
        _segments.Sort((a, b) => a.Start.CompareTo(b.Start));
        _dataRanges = covered;
    }

    private List<DataRange> Claim(IReadOnlyList<DataRange> extents, List<DataRange> covered, int layer)
    {
        foreach (var piece in RangeSet.Subtract(extents, covered)) _segments.Add(new Segment(piece.Start, piece.End, layer));
        return RangeSet.Union(covered, extents);
    }

    public ReplicaDirectory Replica { get; }
    public string SnapshotName { get; }
    /// <summary>The snapshot layer's .img.meta Created; null for the head, or when Created is empty or unreadable.</summary>
    public DateTimeOffset? SnapshotCreatedAt { get; }
    public long Size { get; }
    public string Description { get; }
    /// <summary>Layer file names of the chain, newest first (the snapshot's own layer, then its parents).</summary>
    public IReadOnlyList<string> Chain => _layers.Select(l => l.Name).ToList();

    /// <summary>Opens the chain from a snapshot (or <see cref="ReplicaDirectory.HeadName"/>) down to the base.</summary>
    public static ReplicaChainSource Open(ReplicaDirectory replica, string snapshotName)
    {
        string top = replica.ResolveLayer(snapshotName);
        var layers = new List<ReplicaLayer>();
        ReplicaLayer? backing = null;
        try
        {
            foreach (string file in replica.ChainFrom(top))
                layers.Add(ReplicaLayer.Open(file, Path.Combine(replica.Path, file), replica.Info.Size));
            if (replica.BackingFile() is { } backingPath)
                backing = ReplicaLayer.Open(Path.GetFileName(backingPath), backingPath, replica.Info.Size);
            return new ReplicaChainSource(replica, snapshotName, layers, backing);
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            backing?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every sector that holds data in the snapshot's view: the layers' allocated sectors and the backing file's. The
    /// backing file's data is included (Longhorn leaves it out and needs the backing image to restore), so a backup of
    /// the chain restores the whole snapshot on its own.
    /// </summary>
    public IReadOnlyList<DataRange> GetDataRanges() => _dataRanges;

    public IReadOnlyList<DataRange>? GetChangedRanges(string baseSnapshotName)
    {
        string baseLayer = ReplicaDirectory.LayerFileOf(baseSnapshotName);
        int index = _layers.FindIndex(l => l.Name == baseLayer);
        if (index <= 0) return null;   // not below this snapshot (deleted, another branch, or this snapshot itself)
        var changed = new List<DataRange>();
        for (int i = 0; i < index; i++) changed = RangeSet.Union(changed, _layers[i].Extents);
        return changed;
    }

    public void ReadAt(long offset, Span<byte> buffer)
    {
        long end = offset + buffer.Length;
        int i = FirstSegmentEndingAfter(offset);
        long pos = offset;
        while (pos < end)
        {
            if (i >= _segments.Count || _segments[i].Start >= end)
            {
                buffer[(int)(pos - offset)..].Clear();
                break;
            }
            var s = _segments[i];
            if (s.Start > pos)
            {
                buffer.Slice((int)(pos - offset), (int)(s.Start - pos)).Clear();
                pos = s.Start;
            }
            long pieceEnd = Math.Min(end, s.End);
            var target = buffer.Slice((int)(pos - offset), (int)(pieceEnd - pos));
            (s.Layer < 0 ? _backing! : _layers[s.Layer]).ReadAt(pos, target);
            pos = pieceEnd;
            i++;
        }
    }

    private int FirstSegmentEndingAfter(long offset)
    {
        int lo = 0, hi = _segments.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_segments[mid].End <= offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Throws SnapshotChanged when any layer read changed since it was opened (Longhorn coalesces a removed snapshot
    /// into its child, or purges): called before a backup is committed, so a torn view is never kept.
    /// </summary>
    public void EnsureUnchanged()
    {
        foreach (var layer in _layers) layer.EnsureUnchanged(Replica.Path);
        _backing?.EnsureUnchanged(Replica.Path);
    }

    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
        _backing?.Dispose();
    }
}
