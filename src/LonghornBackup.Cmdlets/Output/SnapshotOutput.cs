using LonghornBackup.Engine.Blocks.Replica;

namespace LonghornBackup;

internal static class SnapshotOutput
{
    public static Snapshot From(ReplicaSnapshot s, ReplicaDirectory replica) => new()
    {
        Name = s.Name,
        Parent = s.Parent,
        CreatedAt = s.Created?.UtcDateTime,
        UserCreated = s.UserCreated,
        Removed = s.Removed,
        IsHead = s.IsHead,
        InHeadChain = s.InHeadChain,
        AllocatedSize = s.AllocatedBytes,
        Labels = s.Labels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
        LayerFile = s.LayerFile,
        ReplicaPath = replica.Path,
        VolumeName = replica.VolumeNameFromDirectory ?? "",
        Size = replica.Info.Size,
        Encrypted = replica.Info.Encrypted,
    };
}
