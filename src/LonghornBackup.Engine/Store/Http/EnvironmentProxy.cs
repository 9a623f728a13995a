using System.Net;

namespace LonghornBackup.Engine.Store.Http;

/// <summary>
/// The proxy named by HTTPS_PROXY / HTTP_PROXY (either case) with NO_PROXY exceptions, read when a client is built
/// (as Longhorn passes them to its driver), not once per process as HttpClient.DefaultProxy does.
/// NO_PROXY entries: "*" (everything), a host name or IP, or a domain ("example.com" or ".example.com", which also
/// matches its sub-domains), each optionally with ":port".
/// </summary>
internal sealed class EnvironmentProxy : IWebProxy
{
    private readonly Uri? _http;
    private readonly Uri? _https;
    private readonly string[] _noProxy;

    private EnvironmentProxy(Uri? http, Uri? https, string[] noProxy, ICredentials? credentials)
    {
        _http = http;
        _https = https;
        _noProxy = noProxy;
        Credentials = credentials;
    }

    public ICredentials? Credentials { get; set; }

    /// <summary>
    /// The proxy from the environment, or null when neither HTTP_PROXY nor HTTPS_PROXY is set. <paramref name="sourceOf"/>
    /// names where a variable's value came from, for errors (default: "the environment variable X").
    /// </summary>
    public static EnvironmentProxy? FromEnvironment(Func<string, string?> env, out string? description, Func<string, string>? sourceOf = null)
    {
        description = null;
        sourceOf ??= name => $"the environment variable {name}";
        Uri? http = ParseProxy(env("HTTP_PROXY") ?? env("http_proxy"), sourceOf("HTTP_PROXY"));
        Uri? https = ParseProxy(env("HTTPS_PROXY") ?? env("https_proxy"), sourceOf("HTTPS_PROXY"));
        if (http is null && https is null) return null;
        string? noProxy = env("NO_PROXY") ?? env("no_proxy");
        var entries = (noProxy ?? "").Split(',').Select(e => e.Trim()).Where(e => e.Length > 0).ToArray();
        var proxy = new EnvironmentProxy(http, https, entries, CredentialsOf(https ?? http!));
        description = string.Join(", ", new[]
        {
            http is null ? null : $"HTTP_PROXY {Redacted(http)}",
            https is null ? null : $"HTTPS_PROXY {Redacted(https)}",
            entries.Length == 0 ? null : $"NO_PROXY {string.Join(',', entries)}",
        }.Where(s => s is not null));
        return proxy;
    }

    public Uri? GetProxy(Uri destination)
    {
        if (IsBypassed(destination)) return null;
        return destination.Scheme == Uri.UriSchemeHttps ? _https : _http;
    }

    public bool IsBypassed(Uri host)
    {
        var proxy = host.Scheme == Uri.UriSchemeHttps ? _https : _http;
        if (proxy is null) return true;
        string name = host.IdnHost.Trim('[', ']').ToLowerInvariant();
        foreach (var raw in _noProxy)
        {
            if (raw == "*") return true;
            string entry = raw.ToLowerInvariant();
            int colon = entry.LastIndexOf(':');
            if (colon > 0 && !entry.Contains(']') && entry.Count(c => c == ':') == 1)
            {
                if (!int.TryParse(entry[(colon + 1)..], out int port) || port != host.Port) continue;
                entry = entry[..colon];
            }
            entry = entry.Trim('[', ']');
            if (entry.StartsWith('.')) entry = entry[1..];
            if (entry.Length == 0) continue;
            if (name == entry || name.EndsWith("." + entry, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static Uri? ParseProxy(string? value, string source)
    {
        if (value is null) return null;
        string text = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new Errors.LonghornBackupException(Errors.ErrorIds.InvalidTargetSetting, Errors.ErrorKind.InvalidArgument,
                $"{char.ToUpperInvariant(source[0])}{source[1..]} does not hold a proxy URL such as http://proxy.example:3128.", source,
                $"Correct or unset {source}.");
        return uri;
    }

    private static ICredentials? CredentialsOf(Uri proxy)
    {
        if (string.IsNullOrEmpty(proxy.UserInfo)) return null;
        var parts = proxy.UserInfo.Split(':', 2);
        return new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }

    /// <summary>The proxy URL without its user name and password, for messages.</summary>
    private static string Redacted(Uri proxy) => $"{proxy.Scheme}://{proxy.Host}:{proxy.Port}";
}
