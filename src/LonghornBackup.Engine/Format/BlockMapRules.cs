using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// The sizes and offsets a store records, checked before anything is sized or written by them. A damaged or hostile
/// store must give a clear error, never a wrong image: volume.cfg's Size sizes every restore (docs/backupstore-format.md §2.1,
/// §6.1), and a backup's block map must fit it, one block-aligned entry per offset (docs/backupstore-format.md §2.2).
/// </summary>
public static class BlockMapRules
{
    /// <summary>
    /// The largest volume size taken from a store: 64 PiB, far above any Longhorn volume, and far enough below
    /// long.MaxValue that an offset plus a block never overflows.
    /// </summary>
    public const long MaxVolumeSize = 1L << 56;

    /// <summary>Throws CorruptConfig unless volume.cfg's Size is positive and below <see cref="MaxVolumeSize"/>.</summary>
    public static void ValidateVolumeSize(VolumeConfig volume)
    {
        if (volume.Size > 0 && volume.Size <= MaxVolumeSize) return;
        string key = StorePaths.VolumeConfig(volume.Name);
        throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
            volume.Size <= 0
                ? $"The volume config of '{volume.Name}' records no usable size ({volume.Size}); its backups cannot be restored. File: {key}"
                : $"The volume config of '{volume.Name}' records a size of {volume.Size} bytes, more than the {MaxVolumeSize} bytes any volume can have; the file is damaged. File: {key}",
            key);
    }

    /// <summary>
    /// Throws CorruptConfig when an offset of the block map is not a multiple of the block size, is listed twice, or
    /// lies beyond any possible volume: a restore by such a map would overlap, guess between two blocks, or overflow.
    /// </summary>
    public static void ValidateOffsets(BackupConfig backup, long blockSize)
    {
        string key = StorePaths.BackupConfig(backup.VolumeName, backup.Name);
        long previous = -1;
        foreach (var b in backup.Blocks)   // sorted by offset when parsed
        {
            string? problem =
                b.Offset % blockSize != 0 ? $"offset {b.Offset} is not a multiple of the {blockSize}-byte block size"
                : b.Offset == previous ? $"offset {b.Offset} is listed twice"
                : b.Offset > MaxVolumeSize ? $"offset {b.Offset} lies beyond any possible volume"
                : null;
            if (problem is not null)
                throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                    $"The block map of backup '{backup.Name}' is damaged: {problem}. File: {key}", key);
            previous = b.Offset;
        }
    }

    /// <summary>Blocks mapped at or beyond the volume's recorded size, or null when every block lies inside it.</summary>
    public static BlocksBeyondVolume? FindBlocksBeyond(BackupConfig backup, long volumeSize, long blockSize)
    {
        int count = 0;
        long first = -1, last = -1;
        foreach (var b in backup.Blocks)
        {
            if (b.Offset < volumeSize) continue;
            if (count++ == 0) first = b.Offset;
            last = b.Offset;
        }
        return count == 0 ? null : new BlocksBeyondVolume(backup.VolumeName, backup.Name, volumeSize, count, first, last + blockSize);
    }
}

/// <summary>
/// Blocks of a backup that lie at or beyond its volume's recorded size: a restore sized by volume.cfg would drop them.
/// Seen when a later backup of a smaller image shrank the volume record (older versions of this module allowed it),
/// or in a damaged store.
/// </summary>
/// <param name="RequiredSize">The image size that holds every block of the backup.</param>
public sealed record BlocksBeyondVolume(string VolumeName, string BackupName, long VolumeSize, int Count, long FirstOffset, long RequiredSize)
{
    public string Describe() =>
        $"Backup '{BackupName}' maps {Count} block(s) at or beyond the recorded size of volume '{VolumeName}' " +
        $"({VolumeSize} bytes; the first at offset {FirstOffset}, the backup needs {RequiredSize} bytes). A restore " +
        "sized by the volume record would drop that data; the record was shrunk by a backup of a smaller image, or the store is damaged.";
}
