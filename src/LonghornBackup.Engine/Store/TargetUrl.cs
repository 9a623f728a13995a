using System.Text;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store;

/// <summary>The kinds of backup target URL (spec §7.3).</summary>
public enum TargetKind
{
    FileSystem,
    S3,
}

/// <summary>
/// A parsed backup target URL. File-system targets are canonicalised to Longhorn's "vfs:///abs/path" form and S3
/// targets to "s3://bucket[@region]/prefix/", so the backup URLs this module prints are the ones Longhorn's engine
/// accepts.
/// </summary>
public sealed class TargetUrl
{
    private TargetUrl(TargetKind kind, string canonical, string? localPath, string? bucket = null, string? region = null, string prefix = "")
    {
        Kind = kind;
        Canonical = canonical;
        LocalPath = localPath;
        Bucket = bucket;
        Region = region;
        Prefix = prefix;
    }

    public TargetKind Kind { get; }
    /// <summary>The URL as stored and printed, without query keys.</summary>
    public string Canonical { get; }
    /// <summary>Root folder for file-system targets.</summary>
    public string? LocalPath { get; }
    /// <summary>Bucket of an S3 target.</summary>
    public string? Bucket { get; }
    /// <summary>Region written after '@' in an S3 URL, or null when the URL names none.</summary>
    public string? Region { get; }
    /// <summary>Key prefix of an S3 target without leading or trailing '/' ("" for the bucket root).</summary>
    public string Prefix { get; }

    public override string ToString() => Canonical;

    public static TargetUrl Parse(string? url) => ParseChecked(CheckText(url));

    /// <summary>
    /// The checks on the URL's text alone, for callers that turn a relative path into a full one first (which would
    /// otherwise make " " the current folder). Returns the URL unchanged.
    /// </summary>
    public static string CheckText(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw Invalid(url ?? "", "the URL is empty.");
        // Refused, not trimmed: " /mnt/x" is a folder named with a space to the OS, and a stray tab or newline is
        // far more often a copy-and-paste slip than meant.
        if (url.Trim().Length != url.Length)
            throw Invalid(url, "it starts or ends with white space.");
        if (url.Any(char.IsControl))
            throw Invalid(url, "it contains a control character (a tab, line break or the like).");
        return url;
    }

    private static TargetUrl ParseChecked(string url)
    {
        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            // A plain path: an OS-mounted NFS/CIFS export or a local folder.
            if (url.Contains('?') || url.Contains('\0')) throw Invalid(url, "a path cannot contain '?'.");
            string full = Path.GetFullPath(url);
            return FileSystem(full);
        }
        string scheme = url[..schemeEnd].ToLowerInvariant();
        string rest = url[(schemeEnd + 3)..];
        switch (scheme)
        {
            case "vfs":
            case "file":
            {
                if (rest.Contains('?')) throw Invalid(url, "file-system target URLs take no query.");
                if (!rest.StartsWith('/'))
                    throw Invalid(url, $"{scheme}:// needs an absolute path and no host, as in {scheme}:///var/backups.");
                string path = Uri.UnescapeDataString(rest);
                if (OperatingSystem.IsWindows() && path.Length >= 3 && path[0] == '/' && path[2] == ':') path = path[1..];
                return FileSystem(Path.GetFullPath(path));
            }
            case "s3":
                return S3.S3UrlParser.Parse(url, rest, (kind, canonical, bucket, region, prefix) =>
                    new TargetUrl(kind, canonical, null, bucket, region, prefix));
            case "nfs":
            case "cifs":
                throw new LonghornBackupException(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument,
                    $"'{url}' is a {scheme} export: LonghornBackup does not mount shares itself.", url,
                    $"Mount the export with the operating system and set the target to the mounted path, e.g. Set-LhBackupTarget -Url /mnt/backupstore.");
            default:
                throw Invalid(url, $"the scheme '{scheme}' is not supported: use a path, vfs:///path, file:///path or s3://bucket@region/prefix/.");
        }
    }

    private static TargetUrl FileSystem(string fullPath)
    {
        string trimmed = fullPath.Length > 1 ? fullPath.TrimEnd('/', '\\') : fullPath;
        if (trimmed.Length == 0) trimmed = fullPath;
        string forUrl = trimmed.Replace('\\', '/');
        if (!forUrl.StartsWith('/')) forUrl = "/" + forUrl;
        // Percent-encode each segment, so the URL parses back (here and in Go's url.Parse) to this very folder.
        forUrl = string.Join('/', forUrl.Split('/').Select(Uri.EscapeDataString));
        return new TargetUrl(TargetKind.FileSystem, "vfs://" + forUrl, trimmed);
    }

    private static LonghornBackupException Invalid(string url, string why) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid backup target URL: {why}", url,
            "Give a local or mounted path, vfs:///absolute/path, file:///absolute/path or s3://bucket@region/prefix/.");

    /// <summary>Longhorn's backup URL: the target URL with the query keys backup and volume, sorted (spec §7.2).</summary>
    public string BackupUrl(string volumeName, string backupName) =>
        $"{Canonical}?backup={Escape(backupName)}&volume={Escape(volumeName)}";

    public string VolumeUrl(string volumeName) => $"{Canonical}?volume={Escape(volumeName)}";

    private static string Escape(string s) => Uri.EscapeDataString(s);

    /// <summary>Splits a backup URL into its target part and its backup and volume names.</summary>
    public static (string Target, string? Volume, string? Backup) SplitBackupUrl(string url)
    {
        int q = url.IndexOf('?');
        if (q < 0) return (url, null, null);
        string? volume = null, backup = null;
        var kept = new StringBuilder();
        foreach (var pair in url[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = eq < 0 ? pair : pair[..eq];
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (key == "volume") volume = value;
            else if (key == "backup") backup = value;
            else kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
        }
        return (url[..q] + kept, volume, backup);
    }
}
