using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Everything needed to talk to one S3 target, resolved at use time from the target URL, the target's saved
/// settings and the environment (Longhorn's AWS_ENDPOINTS, AWS_CERT, VIRTUAL_HOSTED_STYLE, proxies; AWS_REGION).
/// Each value remembers its source so Write-Debug can say where it came from.
/// </summary>
internal sealed record S3Connection(
    string Bucket,
    string Prefix,
    string Region, string RegionSource,
    Uri? Endpoint, string EndpointSource,
    bool PathStyle, string AddressingSource,
    X509Certificate2Collection? ExtraRoots, string? CaSource,
    EnvironmentProxy? Proxy, string? ProxySource,
    ResolvedCredentials Credentials)
{
    /// <summary>The region used when nothing names one: S3's global default, and what MinIO and most others expect.</summary>
    public const string FallbackRegion = "us-east-1";

    /// <summary>Where the store is, for messages: the endpoint (or AWS) and the bucket and prefix. Never a secret.</summary>
    public string Location =>
        $"s3://{Bucket}/{(Prefix.Length == 0 ? "" : Prefix + "/")} at {(Endpoint is null ? $"AWS ({Region})" : Endpoint.GetLeftPart(UriPartial.Authority))}";

    public static S3Connection Resolve(TargetUrl url, S3TargetSettings? settings, StoreOpenOptions options)
    {
        var credentials = S3CredentialResolver.Resolve(settings, options);

        var (region, regionSource) =
            url.Region is not null ? (url.Region, "the target URL") :
            settings?.Region is { Length: > 0 } r ? (r, "the target's -Region") :
            options.GetEnvironment("AWS_REGION") is { } envRegion ? (envRegion, "AWS_REGION") :
            options.GetEnvironment("AWS_DEFAULT_REGION") is { } envDefault ? (envDefault, "AWS_DEFAULT_REGION") :
            credentials.ProfileRegion is { } profileRegion ? (profileRegion, "the AWS profile") :
            (FallbackRegion, "the default");

        var (endpointText, endpointSource) =
            settings?.EndpointUrl is { Length: > 0 } e ? (e, "the target's -EndpointUrl") :
            options.GetEnvironment("AWS_ENDPOINTS") is { } longhorn ? (longhorn, "AWS_ENDPOINTS") :
            options.GetEnvironment("AWS_ENDPOINT_URL_S3") is { } s3Url ? (s3Url, "AWS_ENDPOINT_URL_S3") :
            options.GetEnvironment("AWS_ENDPOINT_URL") is { } awsUrl ? (awsUrl, "AWS_ENDPOINT_URL") :
            ((string?)null, "AWS (no custom endpoint)");
        Uri? endpoint = endpointText is null ? null : ParseEndpoint(endpointText, endpointSource);

        bool pathStyle;
        string addressingSource;
        if (settings?.ForcePathStyle is bool forced)
            (pathStyle, addressingSource) = (forced, "the target's -ForcePathStyle");
        else if (ParseBool(options.GetEnvironment("VIRTUAL_HOSTED_STYLE")) is bool virtualHosted)
            (pathStyle, addressingSource) = (!virtualHosted, "VIRTUAL_HOSTED_STYLE");
        else
            (pathStyle, addressingSource) = (endpoint is not null, endpoint is not null ? "the default with a custom endpoint" : "the default for AWS");

        X509Certificate2Collection? roots = null;
        string? caSource = null;
        if (settings?.CACertificatePath is { Length: > 0 } caPath)
            (roots, caSource) = (LoadCaFile(caPath, "the target's -CACertificatePath"), $"'{caPath}' (the target's -CACertificatePath)");
        else if (options.GetEnvironment("AWS_CERT") is { } awsCert)
            (roots, caSource) = awsCert.Contains("-----BEGIN", StringComparison.Ordinal)
                ? (LoadCaPem(awsCert, "AWS_CERT"), "the PEM in AWS_CERT")
                : (LoadCaFile(awsCert, "AWS_CERT"), $"'{awsCert}' (AWS_CERT)");

        var proxy = EnvironmentProxy.FromEnvironment(options.GetEnvironment, out var proxySource);

        return new S3Connection(url.Bucket!, url.Prefix, region, regionSource, endpoint, endpointSource, pathStyle, addressingSource,
            roots, caSource, proxy, proxySource, credentials);
    }

    /// <summary>Lines for Write-Debug: the source of every setting, no secret.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"S3 credentials: from {Credentials.Source}.";
        yield return $"S3 region: {Region} (from {RegionSource}).";
        yield return Endpoint is null
            ? $"S3 endpoint: AWS for region {Region} ({EndpointSource})."
            : $"S3 endpoint: {Endpoint.GetLeftPart(UriPartial.Path)} (from {EndpointSource}).";
        yield return $"S3 addressing: {(PathStyle ? "path-style" : "virtual-hosted-style")} (from {AddressingSource}).";
        if (CaSource is not null) yield return $"S3 extra trusted CA certificates: {ExtraRoots!.Count} from {CaSource}.";
        if (ProxySource is not null) yield return $"S3 proxy: {ProxySource}.";
    }

    private static Uri ParseEndpoint(string text, string source)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The S3 endpoint from {source} is not an http:// or https:// URL without credentials or query, such as https://minio.example:9000.",
                source, source.StartsWith("the target", StringComparison.Ordinal)
                    ? "Set the target again with a valid -EndpointUrl."
                    : $"Correct or unset the environment variable {source}.");
        return uri;
    }

    private static bool? ParseBool(string? value) => value?.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => null,
    };

    internal static X509Certificate2Collection LoadCaFile(string path, string source)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle '{path}' (from {source}) cannot be read: {e.Message}", path,
                "Give the path of a PEM file holding the store's CA certificate(s).", e);
        }
        return LoadCaPem(text, $"'{path}' ({source})");
    }

    private static X509Certificate2Collection LoadCaPem(string pem, string source)
    {
        var roots = new X509Certificate2Collection();
        try { roots.ImportFromPem(pem); }
        catch (CryptographicException e)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle from {source} is not valid PEM: {e.Message}", source,
                "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.", e);
        }
        if (roots.Count == 0)
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle from {source} holds no certificate.", source,
                "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.");
        return roots;
    }
}
