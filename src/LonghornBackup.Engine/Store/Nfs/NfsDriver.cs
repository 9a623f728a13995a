using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.Shares;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Nfs;

/// <summary>
/// nfs://host:/export[?nfsOptions=a,b] (docs/target-drivers.md §4): the export where it is mounted, else mounted as
/// nfs4 at Longhorn's mount point, then a folder store. NFS takes no credentials.
/// </summary>
public sealed class NfsDriver : ShareDriver
{
    public static NfsDriver Instance { get; } = new();
    public const string KindName = "NFS";

    private NfsDriver() : base(ShareProtocol.Nfs) { }

    public override string Kind => KindName;
    public override IReadOnlyList<string> Schemes { get; } = new[] { "nfs" };
    public override string UrlForms => "nfs://server:/export[?nfsOptions=a,b]";

    public override object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings)
    {
        if (input.CredentialSecretName is { } unused)
            warnings?.Add($"{input.SecretLocation}: an NFS target takes no credentials; the Secret '{unused}' is not used for target '{input.Name}'.");
        return null;
    }

    public override string? CheckSecretKeys(SecretManifest secret) => null;

    protected override ShareCredentials? ResolveCredentials(BackupTargetDefinition? target, StoreOpenOptions options) => null;
}
