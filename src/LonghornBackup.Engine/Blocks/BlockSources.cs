using LonghornBackup.Engine.Blocks.Replica;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// The one place block sources are opened from what the user gave. A new kind of source is a class implementing
/// <see cref="IBlockSourceKind"/> plus one line in <see cref="Kinds"/>.
/// </summary>
public static class BlockSources
{
    private static readonly IBlockSourceKind[] Kinds =
    {
        new ReplicaChainKind(),
        new RawImageKind(),
    };

    public static IBlockSource Open(BlockSourceSpec spec) =>
        (Kinds.FirstOrDefault(k => k.Accepts(spec)) ?? throw new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.InvalidArgument,
            "No snapshot to read was given: name an image file or block device, or a replica directory and a snapshot.", spec,
            "Use -Path, or -ReplicaPath with -SnapshotName."))
        .Open(spec);

    /// <summary>An image file or block device, read as it is.</summary>
    private sealed class RawImageKind : IBlockSourceKind
    {
        public string Name => "image";
        public bool Accepts(BlockSourceSpec spec) => !string.IsNullOrEmpty(spec.Path);
        public IBlockSource Open(BlockSourceSpec spec) => RawImageSource.Open(spec.Path!);
    }

    /// <summary>A snapshot of a Longhorn replica directory, read through its layer chain.</summary>
    private sealed class ReplicaChainKind : IBlockSourceKind
    {
        public string Name => "replica";
        public bool Accepts(BlockSourceSpec spec) => !string.IsNullOrEmpty(spec.ReplicaPath);
        public IBlockSource Open(BlockSourceSpec spec)
        {
            if (string.IsNullOrEmpty(spec.SnapshotName))
                throw new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.InvalidArgument,
                    $"Name the snapshot of the replica '{spec.ReplicaPath}' to read.", spec.ReplicaPath,
                    "Give -SnapshotName; Get-LhSnapshot -ReplicaPath lists them.");
            return ReplicaChainSource.Open(ReplicaDirectory.Open(spec.ReplicaPath!), spec.SnapshotName);
        }
    }
}
