namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// What the user named to read a snapshot from: an image file or block device (<see cref="Path"/>), or a snapshot of
/// a Longhorn replica directory (<see cref="ReplicaPath"/> and <see cref="SnapshotName"/>).
/// </summary>
public sealed record BlockSourceSpec
{
    public string? Path { get; init; }
    public string? ReplicaPath { get; init; }
    public string? SnapshotName { get; init; }
}

/// <summary>One kind of block source: which specs it serves, and how it opens them.</summary>
public interface IBlockSourceKind
{
    /// <summary>For messages: "image", "replica".</summary>
    string Name { get; }
    bool Accepts(BlockSourceSpec spec);
    IBlockSource Open(BlockSourceSpec spec);
}
