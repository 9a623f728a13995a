namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// What Get-LhBackupTarget and Test-LhBackupTarget show of a target beyond its URL, per kind; each driver fills what
/// applies and leaves the rest null. Never a secret: a key's source is named, not its value.
/// </summary>
public sealed record TargetDescription
{
    public static TargetDescription None { get; } = new();

    /// <summary>Azure Blob: the storage account (from the Secret, the environment or the settings).</summary>
    public string? AccountName { get; init; }
    /// <summary>Azure Blob: the container.</summary>
    public string? Container { get; init; }
    /// <summary>Azure Blob: the Blob service endpoint used.</summary>
    public string? ServiceEndpoint { get; init; }
    /// <summary>Azure Blob and CIFS: where the credentials come from ("AZBLOB_ACCOUNT_KEY of Secret 'x' ...", "an Azure identity"), never a value.</summary>
    public string? KeySource { get; init; }
    /// <summary>NFS and CIFS: the export as mount(8) takes it (host:/export, //host/share/path).</summary>
    public string? Export { get; init; }
    /// <summary>NFS and CIFS: where it is mounted, or where the module would mount it (Longhorn's mount point).</summary>
    public string? MountPoint { get; init; }
    /// <summary>NFS and CIFS: NotMounted, LonghornBackup (this module, which unmounts it on request), System, or UncPath.</summary>
    public string? MountedBy { get; init; }
    /// <summary>NFS and CIFS: the mount's options as the kernel shows them, or, when not mounted, the options a mount would use.</summary>
    public string? MountOptions { get; init; }
    /// <summary>A problem found while describing (e.g. no credentials), in words; null when none.</summary>
    public string? Problem { get; init; }
}
