using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Parses Longhorn's Azure Blob target URLs, azblob://container@suffix/prefix/ (suffix such as core.windows.net) and
/// azblob://container/prefix/ (an endpoint is then given separately). A path is required, at least "/"; the prefix is
/// the path without its leading and trailing '/'. Credentials never belong in the URL: such a URL is refused without
/// being echoed, so a key pasted into it does not reach an error message.
/// </summary>
internal static class AzureBlobUrlParser
{
    // Azure's container rules: 3-63 characters, lower-case letters, digits and '-', starting with a letter or digit,
    // every '-' between two letters or digits.
    private static readonly Regex ContainerPattern = new("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$", RegexOptions.CultureInvariant);

    // A DNS suffix: labels of letters, digits and '-', separated by '.'.
    private static readonly Regex SuffixPattern = new(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$", RegexOptions.CultureInvariant);

    public static bool IsContainerName(string name) => ContainerPattern.IsMatch(name);

    public static (string Canonical, AzureBlobLocation Location) Parse(string url, string rest)
    {
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        if (authority.Contains(':') || authority.Count(c => c == '@') > 1)
            throw Invalid("azblob://…", "the part before the path must be 'container' or 'container@suffix'. Credentials and ports do not belong in the URL.",
                "Give azblob://container@core.windows.net/prefix/ and pass the account and key with -AccountName/-AccountKey, -Credential or a credential Secret.");
        if (rest.IndexOfAny(new[] { '?', '#' }) >= 0)
            throw Invalid("azblob://…", "an Azure Blob target URL takes no query or fragment (a SAS token goes in -SasToken or AZBLOB_SAS_TOKEN, never in the URL).");
        string container = authority;
        string? suffix = null;
        int at = authority.IndexOf('@');
        if (at >= 0)
        {
            container = authority[..at];
            suffix = authority[(at + 1)..].ToLowerInvariant();
            if (!SuffixPattern.IsMatch(suffix))
                throw Invalid(url, $"'{authority[(at + 1)..]}' is not an endpoint suffix: give a DNS name such as core.windows.net.");
        }
        if (container.Length == 0)
            throw Invalid(url, "the container name is missing.");
        if (!ContainerPattern.IsMatch(container))
            throw Invalid(url, $"'{container}' is not a valid container name: use 3 to 63 lower-case letters, digits and '-', starting with a letter or digit, with no '--' and no '-' at the end.");
        if (slash < 0)
            throw Invalid(url, "a path is required, at least '/', as in azblob://container@core.windows.net/ or azblob://container/prefix/.");
        string prefix = ParsePrefix(url, rest[slash..]);
        string canonical = "azblob://" + container + (suffix is null ? "" : "@" + suffix) + "/" +
            (prefix.Length == 0 ? "" : string.Join('/', prefix.Split('/').Select(Uri.EscapeDataString)) + "/");
        return (canonical, new AzureBlobLocation(container, suffix, prefix));
    }

    private static string ParsePrefix(string url, string path)
    {
        var segments = path.Split('/');   // segments[0] is "" (the leading '/'); a trailing '/' gives a last "" too
        var decoded = new List<string>();
        for (int i = 1; i < segments.Length; i++)
        {
            string raw = segments[i];
            if (raw.Length == 0)
            {
                if (i == segments.Length - 1) break;
                throw Invalid(url, "the prefix has an empty segment ('//').");
            }
            string segment;
            try { segment = Uri.UnescapeDataString(raw); }
            catch (UriFormatException) { throw Invalid(url, $"'{raw}' is not validly percent-encoded."); }
            foreach (var part in segment.Split('/'))
            {
                if (part.Length == 0 || part == "." || part == ".." || part.Contains('\\') || part.Any(char.IsControl))
                    throw Invalid(url, $"the prefix segment '{segment}' is not allowed (no '.', '..', backslashes or control characters).");
                decoded.Add(part);
            }
        }
        string prefix = string.Join('/', decoded);
        if (prefix.Length > 512)
            throw Invalid(url, "the prefix is longer than 512 characters; blob names are at most 1024 characters.");
        return prefix;
    }

    private static LonghornBackupException Invalid(string url, string why, string? action = null) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid Azure Blob backup target URL: {why}", url,
            action ?? "Give the URL in Longhorn's form, azblob://container@core.windows.net/prefix/ or azblob://container/prefix/ with an endpoint.");
}
