using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Format;

namespace LonghornBackup;

/// <summary>Turns the engine's deletion and verification results into the public output types.</summary>
internal static class LifecycleOutput
{
    public static BackupRemoval ToRemoval(BackupDeletionResult r, string target, RetentionDecision[]? kept = null) => new()
    {
        VolumeName = r.VolumeName,
        RemovedBackups = r.Deleted.ToArray(),
        GarbageCollected = r.BlocksCollected,
        GarbageCollectionSkippedReason = r.CollectionSkippedReason,
        BlocksFreed = r.BlocksDeleted,
        BlockCount = r.BlockCount,
        LastBackupName = r.LastBackupName,
        Kept = kept ?? Array.Empty<RetentionDecision>(),
        LeftoversRemoved = r.Leftovers.Removed.Select(l => ToLeftover(l, r.VolumeName, target)).ToArray(),
        Target = target,
    };

    public static BackupVolumeRepair ToRepair(BackupDeletionResult r, string target) => new()
    {
        VolumeName = r.VolumeName,
        Removed = r.Leftovers.Removed.Select(l => ToLeftover(l, r.VolumeName, target)).ToArray(),
        GarbageCollected = r.BlocksCollected,
        GarbageCollectionSkippedReason = r.CollectionSkippedReason,
        BlocksFreed = r.BlocksDeleted,
        BytesFreed = r.BlockBytesDeleted,
        BlockCount = r.BlockCount,
        Target = target,
    };

    public static BackupLeftover ToLeftover(Leftover l, string volume, string target) => new()
    {
        Kind = l.Kind,
        Name = l.Name,
        Key = l.Key,
        Age = l.Age,
        LastWritten = l.Written.UtcDateTime,
        Size = l.Size,
        Detail = l.Detail,
        VolumeName = volume,
        Target = target,
    };

    public static BackupVolumeRemoval ToVolumeRemoval(VolumeDeletionResult r, string target) => new()
    {
        Name = r.VolumeName,
        BackupsRemoved = r.BackupsDeleted,
        BlocksRemoved = r.BlocksDeleted,
        LeftBehind = r.LeftBehind.ToArray(),
        Target = target,
    };

    public static BackupVerification ToVerification(BackupVerificationResult r, bool deep, string share, string target, DateTime verifiedAt)
    {
        var broken = r.Problems.Select(p => new BrokenBlock
        {
            Checksum = p.Checksum,
            Problem = p.Kind.ToString(),
            Detail = p.Detail,
            Path = p.Key,
            AffectedBackups = p.AffectedBackups.ToArray(),
        }).ToArray();
        return new BackupVerification
        {
            Name = r.BackupName,
            VolumeName = r.VolumeName,
            State = r.Health.ToString(),
            IsHealthy = r.IsHealthy,
            Mode = deep ? "Deep" : "Quick",
            Share = share,
            BlocksRead = r.BlocksRead,
            BlockCount = r.BlocksReferenced,
            MissingBlocks = broken.Where(b => b.Problem == nameof(BlockProblemKind.Missing)).Select(b => b.Checksum).ToArray(),
            CorruptBlocks = broken.Where(b => b.Problem == nameof(BlockProblemKind.Corrupt)).Select(b => b.Checksum).ToArray(),
            BrokenBlocks = broken,
            CreatedAt = GoJson.ParseTime(r.Config?.CreatedTime)?.UtcDateTime,
            VerifiedAt = verifiedAt,
            Url = r.Url,
            Target = target,
            Error = r.Error,
        };
    }
}
