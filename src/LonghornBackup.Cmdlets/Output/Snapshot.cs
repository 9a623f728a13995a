namespace LonghornBackup;

/// <summary>
/// A snapshot (or the head) of a Longhorn replica directory, from Get-LhSnapshot. Piped to New-LhBackup or
/// Export-LhSnapshot it binds -ReplicaPath, -SnapshotName and -VolumeName.
/// </summary>
public sealed class Snapshot
{
    /// <summary>The snapshot's name; "volume-head" for the live head layer.</summary>
    public string Name { get; init; } = "";
    /// <summary>Same as <see cref="Name"/>, so a snapshot piped to New-LhBackup binds its -SnapshotName.</summary>
    public string SnapshotName => Name;
    /// <summary>The parent snapshot's name; empty for the base.</summary>
    public string Parent { get; init; } = "";
    public DateTime? CreatedAt { get; init; }
    /// <summary>Taken by a user (false for system snapshots Longhorn takes itself, e.g. before a rebuild).</summary>
    public bool UserCreated { get; init; }
    /// <summary>Deleted in Longhorn but not yet coalesced: still in the chain, with its data.</summary>
    public bool Removed { get; init; }
    public bool IsHead { get; init; }
    /// <summary>On the chain from the head to the base (false for a branch a revert left behind).</summary>
    public bool InHeadChain { get; init; }
    /// <summary>Bytes this layer itself holds (allocated 4 KiB sectors), not the snapshot's whole view.</summary>
    public long AllocatedSize { get; init; }
    public Dictionary<string, string> Labels { get; init; } = new();
    /// <summary>The layer file in the replica directory, e.g. volume-snap-s1.img.</summary>
    public string LayerFile { get; init; } = "";
    public string ReplicaPath { get; init; } = "";
    /// <summary>The volume the replica belongs to, from its directory name (&lt;volume&gt;-&lt;8 hex&gt;); empty when it does not say.</summary>
    public string VolumeName { get; init; } = "";
    /// <summary>The volume size every snapshot of the replica reads as.</summary>
    public long Size { get; init; }
    /// <summary>The layers hold ciphertext (an encrypted volume): backups and exports hold ciphertext too.</summary>
    public bool Encrypted { get; init; }

    public override string ToString() => Name;
}
