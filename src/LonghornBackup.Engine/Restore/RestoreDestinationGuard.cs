using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Refuses a restore destination inside the folder of the target the backup comes from: writing an image over a
/// volume.cfg or a block would break the very backups being restored. Links are followed (the destination's folder
/// and the destination itself), so a link into the store is caught as well. Object stores (S3, Azure) have no folder to protect; an NFS or CIFS export has its mount.
/// </summary>
public static class RestoreDestinationGuard
{
    public static void EnsureOutsideStore(Backupstore store, string outputPath)
    {
        if (store.LocalRoot is not { } root) return;
        string output = Path.GetFullPath(outputPath);
        string realRoot = RealPaths.Resolve(root);
        string realOutput = RealPaths.Resolve(output);
        if (RealPaths.IsUnder(output, root) || RealPaths.IsUnder(realOutput, realRoot) || RealPaths.IsUnder(realOutput, root))
            throw new LonghornBackupException(ErrorIds.RestoreTargetInsideStore, ErrorKind.InvalidArgument,
                $"'{output}' is inside the backup target's folder {root}; restoring there would overwrite the backupstore's own files.",
                output, "Restore to a path outside the backup target's folder.");
    }
}
