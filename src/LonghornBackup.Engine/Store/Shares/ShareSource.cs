namespace LonghornBackup.Engine.Store.Shares;

/// <summary>The two kinds of network share Longhorn mounts.</summary>
public enum ShareProtocol { Nfs, Cifs }

/// <summary>
/// What is mounted: a server and a path on it (an NFS export, or a CIFS share with an optional folder below it).
/// The mount source reads "host:/export/path" for NFS and "//host/share/path" for CIFS, as mount(8) and the mount
/// table write them.
/// </summary>
public sealed record ShareSource(ShareProtocol Protocol, string Host, string Path)
{
    /// <summary>The source as mount(8) takes it.</summary>
    public string Text => Protocol == ShareProtocol.Nfs ? $"{Host}:{Path}" : $"//{Host}{Path}";

    public override string ToString() => Text;

    /// <summary>
    /// The folder of this source below a mount of <paramref name="mountedSource"/> whose file system root shows at
    /// the mount point as <paramref name="root"/>: "" when the mount shows exactly this path, "sub/dir" when it shows
    /// a parent of it, null when it does not show it at all (another server, share or export).
    /// </summary>
    public string? Relative(string mountedSource, string root)
    {
        if (Parse(Protocol, mountedSource) is not { } mounted) return null;
        if (!string.Equals(mounted.Host, Host, StringComparison.OrdinalIgnoreCase)) return null;
        string shown = Normalize(root is "/" or "" ? mounted.Path : mounted.Path.TrimEnd('/') + "/" + root.TrimStart('/'));
        string wanted = Normalize(Path);
        // SMB share and folder names are case-insensitive; NFS paths are file names of a Unix server.
        var comparison = Protocol == ShareProtocol.Cifs ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (string.Equals(shown, wanted, comparison)) return "";
        string prefix = shown == "/" ? "/" : shown + "/";
        return wanted.StartsWith(prefix, comparison) ? wanted[prefix.Length..] : null;
    }

    /// <summary>Reads a mount table's source of the given protocol, or null when it has another shape.</summary>
    public static ShareSource? Parse(ShareProtocol protocol, string source)
    {
        if (protocol == ShareProtocol.Nfs)
        {
            // host:/path; an IPv6 server is written [addr]:/path.
            int colon = source.StartsWith('[') ? source.IndexOf("]:", StringComparison.Ordinal) + 1 : source.IndexOf(':');
            if (colon <= 0 || colon + 1 >= source.Length || source[colon + 1] != '/') return null;
            return new ShareSource(protocol, source[..colon], source[(colon + 1)..]);
        }
        string unc = source.Replace('\\', '/');
        if (!unc.StartsWith("//", StringComparison.Ordinal)) return null;
        int slash = unc.IndexOf('/', 2);
        if (slash <= 2) return null;
        return new ShareSource(protocol, unc[2..slash], unc[slash..]);
    }

    private static string Normalize(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return "/" + string.Join('/', parts);
    }
}
