using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Blocks.Replica;

namespace LonghornBackup.Hosting;

/// <summary>What a user must be told about what is read: the live head of a replica, or ciphertext.</summary>
internal static class SourceNotes
{
    public static IEnumerable<string> For(IBlockSource source)
    {
        if (source is not ReplicaChainSource chain) yield break;
        if (chain.SnapshotName == ReplicaDirectory.HeadName)
            yield return "'volume-head' is the replica's live, writable layer: what is read is a consistent point in time only while the volume is detached.";
        if (chain.Replica.Info.Encrypted)
            yield return "The volume is encrypted: its layers hold ciphertext, and so does what is written from them (as Longhorn's own backups do). It opens only with the volume's key.";
    }
}
