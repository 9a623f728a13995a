namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// A parsed nfs:// or cifs:// target: what to mount, with which options, and where Longhorn would mount it
/// (docs/target-drivers.md §4, §5).
/// </summary>
/// <param name="Options">The URL's nfsOptions/cifsOptions, in order; empty when the URL gives none.</param>
public sealed record ShareLocation(ShareSource Source, IReadOnlyList<string> Options)
{
    /// <summary>Where Longhorn mounts every backupstore share.</summary>
    public const string LonghornMountRoot = "/var/lib/longhorn-backupstore-mounts";

    public ShareProtocol Protocol => Source.Protocol;

    /// <summary>"nfs" or "cifs": the URL scheme and the query key prefix (nfsOptions, cifsOptions).</summary>
    public string Scheme => Protocol == ShareProtocol.Nfs ? "nfs" : "cifs";

    public string OptionsKey => Scheme + "Options";

    /// <summary>
    /// Longhorn's mount point below <paramref name="root"/>: the server name with every '.' made '_' (and the ':' of
    /// "host:" dropped), then the URL's path, so both tools find each other's mounts.
    /// </summary>
    public string MountPoint(string root = LonghornMountRoot) =>
        root.TrimEnd('/') + "/" + Source.Host.Replace('.', '_') + "/" + Source.Path.Trim('/');

    /// <summary>The URL as saved and printed: nfs://host:/export or cifs://host/share/sub, with the options query when there are any.</summary>
    public string Canonical =>
        (Protocol == ShareProtocol.Nfs ? $"nfs://{Source.Host}:{Source.Path}" : $"cifs://{Source.Host}{Source.Path}")
        + (Options.Count == 0 ? "" : $"?{OptionsKey}={string.Join(',', Options)}");
}
