using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// A backup checked to be readable as an image: finished, with a volume size, block size and block map that can be
/// right (docs/backupstore-format.md §2), and sized by its volume. Restores and exports load backups through here, so both refuse the same
/// damaged stores with the same errors before anything is written or served.
/// </summary>
/// <param name="Size">The image size: the volume's, or the backup's extent when blocks lie beyond it and that was allowed.</param>
public sealed record RestoreSource(VolumeConfig Volume, BackupConfig Backup, int BlockSize, long Size, string Method,
    BlocksBeyondVolume? Beyond)
{
    /// <param name="includeBeyond">Size the image by the backup when it maps blocks beyond the volume's recorded size.</param>
    /// <param name="refused">What did not happen when blocks lie beyond and that is refused, for the message ("Nothing was restored.").</param>
    /// <param name="includeHint">The option that allows it, for the recommended action.</param>
    public static async Task<RestoreSource> LoadAsync(Backupstore store, string volumeName, string backupName, bool includeBeyond,
        string refused, string includeHint, CancellationToken ct)
    {
        var volume = await store.GetVolumeAsync(volumeName, ct).ConfigureAwait(false);
        var backup = await store.GetBackupAsync(volumeName, backupName, ct).ConfigureAwait(false);
        if (backup.IsInProgress)
            throw new LonghornBackupException(ErrorIds.BackupInProgress, ErrorKind.InvalidOperation,
                $"The backup '{backupName}' of volume '{volumeName}' is still in progress (or its run was interrupted) and cannot be restored.",
                backupName);
        BlockMapRules.ValidateVolumeSize(volume);
        long blockSize = backup.BlockSize ?? throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
            $"The backup '{backupName}' records a block size that cannot be read: '{backup.Parameters?[BackupParameters.BlockSize]}'.", backupName);
        if (blockSize <= 0 || blockSize > BlockSizes.Large * 4L)
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The backup '{backupName}' records an unsupported block size {blockSize}.", backupName);
        BlockMapRules.ValidateOffsets(backup, blockSize);
        long size = volume.Size;
        var beyond = BlockMapRules.FindBlocksBeyond(backup, volume.Size, blockSize);
        if (beyond is not null)
        {
            if (!includeBeyond)
                throw new LonghornBackupException(ErrorIds.BlocksBeyondVolumeSize, ErrorKind.InvalidData,
                    $"{beyond.Describe()} {refused}", backupName,
                    $"To include every block, use {includeHint}: the image is then {beyond.RequiredSize} bytes, as large as the backup needs.");
            size = beyond.RequiredSize;
        }
        string method = backup.CompressionMethod.Length > 0 ? backup.CompressionMethod : volume.EffectiveCompressionMethod;
        return new RestoreSource(volume, backup, (int)blockSize, size, method, beyond);
    }
}
