namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>One layer of a replica directory as Get-LhSnapshot shows it: a snapshot, or the head.</summary>
/// <param name="Name">The snapshot's name (volume-snap-&lt;name&gt;.img), or "volume-head" for the head.</param>
/// <param name="Parent">The parent snapshot's name; empty for the base layer.</param>
/// <param name="AllocatedBytes">Bytes the layer itself holds (its allocated 4 KiB sectors), not the snapshot's view.</param>
/// <param name="InHeadChain">On the chain from the head down to the base (false for a branch left by a revert).</param>
public sealed record ReplicaSnapshot(
    string Name,
    string LayerFile,
    string Parent,
    DateTimeOffset? Created,
    bool UserCreated,
    bool Removed,
    IReadOnlyDictionary<string, string> Labels,
    long AllocatedBytes,
    bool IsHead,
    bool InHeadChain);

public static class ReplicaSnapshots
{
    /// <summary>
    /// Every layer of the replica: the head's chain from the base up to the head, then layers off that chain (older
    /// branches) by creation time.
    /// </summary>
    public static IReadOnlyList<ReplicaSnapshot> List(ReplicaDirectory replica)
    {
        var chain = replica.ChainFrom(replica.Info.Head).Reverse().ToList();
        var onChain = new HashSet<string>(chain, StringComparer.Ordinal);
        var others = replica.Layers.Keys.Where(l => !onChain.Contains(l) && File.Exists(Path.Combine(replica.Path, l)))
            .OrderBy(l => replica.Layers[l].Created, StringComparer.Ordinal).ThenBy(l => l, StringComparer.Ordinal);
        return chain.Concat(others).Select(layer => Describe(replica, layer, onChain.Contains(layer))).ToList();
    }

    private static ReplicaSnapshot Describe(ReplicaDirectory replica, string layer, bool inHeadChain)
    {
        var meta = replica.Layers[layer];
        bool isHead = layer == replica.Info.Head;
        long allocated;
        using (var open = ReplicaLayer.Open(layer, Path.Combine(replica.Path, layer), replica.Info.Size))
            allocated = RangeSet.TotalLength(open.Extents);
        return new ReplicaSnapshot(
            isHead ? ReplicaDirectory.HeadName : ReplicaDirectory.SnapshotNameOf(layer) ?? layer,
            layer,
            ReplicaDirectory.SnapshotNameOf(meta.Parent) ?? meta.Parent,
            DateTimeOffset.TryParse(meta.Created, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var created) ? created : null,
            meta.UserCreated,
            meta.Removed,
            meta.Labels ?? new Dictionary<string, string>(),
            allocated,
            isHead,
            inHeadChain);
    }
}
