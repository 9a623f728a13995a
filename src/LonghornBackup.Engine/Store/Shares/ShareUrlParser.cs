using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// Parses nfs://host:/export[?nfsOptions=a,b] and cifs://host/share[/sub][?cifsOptions=a,b] as Longhorn does, and
/// refuses what Longhorn would only fail on at mount time (no ':' after an NFS server, a port, an empty path) or what
/// could not be passed to mount(8) safely (quotes, spaces, '..', a password in the options).
/// </summary>
public static class ShareUrlParser
{
    private static readonly Regex HostPattern =
        new(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[[0-9A-Fa-f:.]+\]$", RegexOptions.CultureInvariant);

    /// <summary>One mount option: a name, optionally "=value"; no quotes, spaces, commas, '%' or '+' (which a URL query would change).</summary>
    private static readonly Regex OptionPattern = new(@"^[A-Za-z0-9_.-]+(?:=[A-Za-z0-9_.:/@=~-]*)?$", RegexOptions.CultureInvariant);

    /// <summary>Options that carry a password: refused in a CIFS URL, which is saved and shown in plain text.</summary>
    private static readonly string[] SecretOptions = { "password", "pass", "password2" };

    private static readonly Regex PasswordValue = new(@"(?i)\b(password2?|pass)=[^,&]*", RegexOptions.CultureInvariant);

    public static ShareLocation Parse(ShareProtocol protocol, string url, string rest)
    {
        // Every message shows the URL with any password in it masked: the URL is refused for it, not repeated.
        url = PasswordValue.Replace(url, "$1=***");
        string scheme = protocol == ShareProtocol.Nfs ? "nfs" : "cifs";
        string example = protocol == ShareProtocol.Nfs ? "nfs://server:/export/path" : "cifs://server/share/path";
        string optionsKey = scheme + "Options";
        int q = rest.IndexOf('?');
        string authorityAndPath = q < 0 ? rest : rest[..q];
        var options = q < 0 ? new List<string>() : ParseQuery(url, rest[(q + 1)..], optionsKey, example);

        int slash = authorityAndPath.IndexOf('/');
        if (slash <= 0) throw Invalid(url, $"it names no {(slash == 0 ? "server" : "path")}; write {example}.", example);
        string host = authorityAndPath[..slash];
        string path = Unescape(url, authorityAndPath[slash..], example);
        if (protocol == ShareProtocol.Nfs)
        {
            // Longhorn's source is host + path, so "host:" then "/export" gives mount(8)'s "host:/export".
            if (!host.EndsWith(':'))
                throw Invalid(url, host.Contains(':')
                    ? "an NFS URL takes no port (give port=N in nfsOptions)."
                    : $"an NFS server is followed by ':' as in nfs://{host}:{path}.", example);
            host = host[..^1];
        }
        if (host.Length == 0) throw Invalid(url, $"it names no server; write {example}.", example);
        else if (host.Contains(':') && !host.StartsWith('['))
            throw Invalid(url, "a CIFS URL takes no port (give port=N in cifsOptions).", example);
        if (host.Contains('@')) throw Invalid(url, "credentials do not belong in the URL: use the CIFS_USERNAME and CIFS_PASSWORD of the credential Secret or the environment.", example);
        if (!HostPattern.IsMatch(host)) throw Invalid(url, $"'{host}' is not a server name or address.", example);

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) throw Invalid(url, $"it names no {(protocol == ShareProtocol.Nfs ? "export path" : "share")}.", example);
        foreach (var segment in segments)
        {
            if (segment is "." or "..") throw Invalid(url, "its path contains '.' or '..'.", example);
            // Longhorn's admission webhook refuses ',' in a URL path, and '$' except for CIFS (hidden shares such as C$).
            if (segment.Any(c => char.IsControl(c) || c is ',' or '"' or '\'' or '\\' || (c == '$' && protocol == ShareProtocol.Nfs)))
                throw Invalid(url, $"the path segment '{segment}' contains a character a mount source cannot carry (',', quotes, '\\'{(protocol == ShareProtocol.Nfs ? " or '$'" : "")}).", example);
        }

        foreach (var option in options)
        {
            string name = option.Split('=')[0].ToLowerInvariant();
            if (protocol == ShareProtocol.Cifs && SecretOptions.Contains(name))
                throw Invalid(url, $"a password does not belong in {optionsKey}, which is saved and shown in plain text: give it as CIFS_PASSWORD (credential Secret, -Credential or the environment).", example);
            if (!OptionPattern.IsMatch(option))
                throw Invalid(url, $"the mount option '{option}' is not name or name=value of letters, digits and _.-:/@=~ (no quotes, spaces or commas inside one option).", example);
        }
        return new ShareLocation(new ShareSource(protocol, host.ToLowerInvariant(), "/" + string.Join('/', segments)), options);
    }

    private static List<string> ParseQuery(string url, string query, string optionsKey, string example)
    {
        var options = new List<string>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = eq < 0 ? pair : pair[..eq];
            if (!string.Equals(key, optionsKey, StringComparison.Ordinal))
                throw Invalid(url, $"the query key '{key}' is not one Longhorn reads; only {optionsKey} is.", example);
            string value = Unescape(url, eq < 0 ? "" : pair[(eq + 1)..], example);
            var items = value.Split(',');
            if (items.Any(i => i.Length == 0)) throw Invalid(url, $"{optionsKey} has an empty option (two commas, or a comma at an end).", example);
            options.AddRange(items);
        }
        return options;
    }

    private static readonly Regex BadEscape = new("%(?![0-9A-Fa-f]{2})", RegexOptions.CultureInvariant);

    /// <summary>Decodes %-escapes; a '%' not followed by two hex digits is refused, as Go's url.Parse refuses it.</summary>
    private static string Unescape(string url, string text, string example) =>
        BadEscape.IsMatch(text) ? throw Invalid(url, "it has a malformed %-escape.", example) : Uri.UnescapeDataString(text);

    private static LonghornBackupException Invalid(string url, string why, string example) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid backup target URL: {why}", url, $"Write it as {example}.");
}
