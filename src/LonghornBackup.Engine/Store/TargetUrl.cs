using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A parsed backup target URL, in the canonical form its driver gives it (Longhorn's "vfs:///abs/path" for folders,
/// "s3://bucket[@region]/prefix/" for S3), so the backup URLs this module prints are the ones Longhorn's engine
/// accepts. The scheme picks the driver (<see cref="StoreDrivers"/>); what the rest means is the driver's business.
/// </summary>
public sealed class TargetUrl
{
    /// <param name="location">The driver's parsed form of the URL (an S3 bucket, region and prefix, ...).</param>
    /// <param name="localPath">The root folder when the store is a folder of this machine.</param>
    public TargetUrl(IStoreDriver driver, string canonical, object? location = null, string? localPath = null)
    {
        Driver = driver;
        Canonical = canonical;
        Location = location;
        LocalPath = localPath;
    }

    /// <summary>The driver that parsed the URL and opens its store.</summary>
    public IStoreDriver Driver { get; }
    /// <summary>The driver's kind name ("FileSystem", "S3", ...).</summary>
    public string Kind => Driver.Kind;
    /// <summary>The URL as stored and printed, without query keys.</summary>
    public string Canonical { get; }
    /// <summary>The driver's parsed form of the URL; null when the canonical text says it all.</summary>
    public object? Location { get; }
    /// <summary>Root folder for targets that are a folder of this machine (to keep restores out of the store).</summary>
    public string? LocalPath { get; }

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
        string scheme = schemeEnd < 0 ? "" : url[..schemeEnd].ToLowerInvariant();
        string rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        if (StoreDrivers.ForScheme(scheme) is { } driver) return driver.Parse(url, scheme, rest);
#if !NET
        if (scheme == "azblob")
            throw new LonghornBackupException(ErrorIds.InvalidBackupTargetUrl, ErrorKind.NotImplemented,
                $"'{url}' is an Azure Blob target, which needs PowerShell 7: the Azure SDK cannot load in Windows PowerShell 5.1 beside the module's other libraries.", url,
                "Use PowerShell 7.4 or later for Azure Blob targets.");
#endif
        throw Invalid(url, $"the scheme '{scheme}' is not supported: use {Forms()}.");
    }

    private static string Forms()
    {
        var forms = StoreDrivers.All.Select(d => d.UrlForms).ToList();
        return forms.Count == 1 ? forms[0] : string.Join(", ", forms.Take(forms.Count - 1)) + " or " + forms[^1];
    }

    private static LonghornBackupException Invalid(string url, string why) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid backup target URL: {why}", url,
            $"Give {Forms()}.");

    /// <summary>
    /// Longhorn's backup URL: the target URL with the query keys backup and volume added to any it has (an NFS
    /// target's nfsOptions), all sorted by key and escaped as Go's url.Values.Encode does (docs/backupstore-format.md §7.2).
    /// </summary>
    public string BackupUrl(string volumeName, string backupName) => WithQuery(("backup", backupName), ("volume", volumeName));

    public string VolumeUrl(string volumeName) => WithQuery(("volume", volumeName));

    private string WithQuery(params (string Key, string Value)[] added)
    {
        int q = Canonical.IndexOf('?');
        var pairs = new List<(string Key, string Value)>(added);
        if (q >= 0)
            foreach (var pair in Canonical[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=');
                pairs.Add(eq < 0 ? (pair, "") : (pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..])));
            }
        // Go sorts by key and keeps the order of values within a key.
        var sorted = pairs.Select((p, i) => (p, i)).OrderBy(x => x.p.Key, StringComparer.Ordinal).ThenBy(x => x.i).Select(x => x.p);
        return (q < 0 ? Canonical : Canonical[..q]) + "?" + string.Join("&", sorted.Select(p => Escape(p.Key) + "=" + Escape(p.Value)));
    }

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
