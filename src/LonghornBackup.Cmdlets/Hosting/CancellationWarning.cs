using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Hosting;

/// <summary>
/// The warning a cmdlet writes when Ctrl+C stopped its engine operation: what was kept, from the figures the engine's
/// OperationCancelled error carries (<see cref="CancelledWork"/>).
/// </summary>
public static class CancellationWarning
{
    public static string For(CancelledWork work) => work.Operation switch
    {
        CancelledOperation.Backup when work.BlocksStored == 0 =>
            $"Cancelled: no backup of volume '{work.VolumeName}' was made, and no block was stored.",
        CancelledOperation.Backup =>
            $"Cancelled: no backup of volume '{work.VolumeName}' was made. The {Count(work.BlocksStored, "block")} stored "
            + $"({Sizes.Format(work.BytesStored)}) stay on the target; the next incremental backup of the volume reuses them instead of uploading them again.",
        CancelledOperation.Restore when work.DestinationUnchanged =>
            $"Cancelled: nothing was restored; '{work.Destination}' was left as it was.",
        CancelledOperation.Restore =>
            $"Cancelled: the device '{work.Destination}' was partly written; restore the backup to it again before using it.",
        CancelledOperation.BackupRemoval when work.BackupsRemoved.Count == 0 =>
            $"Cancelled: no backup of volume '{work.VolumeName}' was removed.",
        CancelledOperation.BackupRemoval =>
            $"Cancelled: {Count(work.BackupsRemoved.Count, "backup")} of volume '{work.VolumeName}' removed ({string.Join(", ", work.BackupsRemoved)}); "
            + "the blocks only they used are freed by the next removal of a backup of the volume.",
        CancelledOperation.VolumeRemoval when !work.RemovalStarted =>
            $"Cancelled: backup volume '{work.VolumeName}' was not removed; nothing was deleted.",
        CancelledOperation.VolumeRemoval =>
            $"Cancelled: backup volume '{work.VolumeName}' is partly removed; run Remove-LhBackupVolume -Name {work.VolumeName} again to finish.",
        _ => $"Cancelled: the verification of volume '{work.VolumeName}' stopped; nothing was changed, and backups not yet reported were not checked.",
    };

    private static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
