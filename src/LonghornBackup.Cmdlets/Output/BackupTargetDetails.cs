using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup;

/// <summary>
/// The per-kind facts Get-LhBackupTarget and Test-LhBackupTarget show of a target (null where they do not apply):
/// an Azure Blob target's account, container, endpoint and key source; an NFS or CIFS target's export, mount point,
/// who mounted it and the mount options. Never a secret.
/// </summary>
public abstract class BackupTargetDetails
{
    /// <summary>Azure Blob: the storage account.</summary>
    public string? AccountName { get; private set; }
    /// <summary>Azure Blob: the container.</summary>
    public string? Container { get; private set; }
    /// <summary>Azure Blob: the Blob service endpoint in use.</summary>
    public string? ServiceEndpoint { get; private set; }
    /// <summary>Azure Blob and CIFS: where the key or password comes from (a Secret's file, a variable, an identity); never the value.</summary>
    public string? KeySource { get; private set; }
    /// <summary>NFS and CIFS: the export as mount(8) takes it (server:/export, //server/share/path).</summary>
    public string? Export { get; private set; }
    /// <summary>NFS and CIFS: where the export is mounted, or where the module would mount it (Longhorn's mount point).</summary>
    public string? MountPoint { get; private set; }
    /// <summary>NFS and CIFS: NotMounted, LonghornBackup (unmounted by Dismount-LhBackupTarget), System (never unmounted by the module) or UncPath (Windows).</summary>
    public string? MountedBy { get; private set; }
    /// <summary>NFS and CIFS: the mount's options as the kernel shows them, or the options a mount would use.</summary>
    public string? MountOptions { get; private set; }
    /// <summary>A problem found while describing the target (for example half a credential pair); null when none.</summary>
    public string? DetailProblem { get; private set; }

    internal void Describe(TargetDescription d)
    {
        AccountName = d.AccountName;
        Container = d.Container;
        ServiceEndpoint = d.ServiceEndpoint;
        KeySource = d.KeySource;
        Export = d.Export;
        MountPoint = d.MountPoint;
        MountedBy = d.MountedBy;
        MountOptions = d.MountOptions;
        DetailProblem = d.Problem;
    }
}
