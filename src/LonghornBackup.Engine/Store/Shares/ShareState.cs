namespace LonghornBackup.Engine.Store.Shares;

/// <summary>Who mounted a share's export where the module found it.</summary>
public enum ShareMountOwner
{
    /// <summary>The export is not in the mount table.</summary>
    NotMounted,
    /// <summary>This module mounted it (mounts.json holds that very mount), and unmounts it when asked.</summary>
    LonghornBackup,
    /// <summary>Someone else mounted it (an administrator, fstab, Longhorn itself): used, never unmounted.</summary>
    System,
    /// <summary>Windows: a CIFS share reached by its UNC path, which needs no mount.</summary>
    UncPath,
}

/// <summary>Where a share is reachable now, without changing anything.</summary>
/// <param name="Folder">The folder that holds the target's backupstore/ (the mount point, or a folder below it); null when not reachable.</param>
/// <param name="MountPoint">The mount point found, or the one the module would mount at.</param>
/// <param name="Options">The mount's options as the kernel shows them, when mounted.</param>
public sealed record ShareState(string? Folder, string MountPoint, ShareMountOwner MountedBy, string? Options, string? FileSystemType);
