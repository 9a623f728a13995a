using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Everything needed to talk to one S3 target, resolved at use time from the target URL, the target's saved
/// settings, its credential Secret (read from its file now) and the environment (Longhorn's AWS_ENDPOINTS, AWS_CERT,
/// VIRTUAL_HOSTED_STYLE, proxies; AWS_REGION), in that order.
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

    public static S3Connection Resolve(TargetUrl target, S3TargetSettings? settings, StoreOpenOptions options)
    {
        var url = (S3Location)target.Location!;
        // The target's own settings win, then its credential Secret (read from its file now), then the environment.
        var variables = S3Variables.For(settings, options);
        var credentials = S3CredentialResolver.Resolve(settings, variables, options);

        var (region, regionSource) =
            url.Region is not null ? (url.Region, "the target URL") :
            settings?.Region is { Length: > 0 } r ? (r, "the target's -Region") :
            options.GetEnvironment("AWS_REGION") is { } envRegion ? (envRegion, "AWS_REGION") :
            options.GetEnvironment("AWS_DEFAULT_REGION") is { } envDefault ? (envDefault, "AWS_DEFAULT_REGION") :
            credentials.ProfileRegion is { } profileRegion ? (profileRegion, "the AWS profile") :
            (FallbackRegion, "the default");

        var (endpoint, endpointSource) = ResolveEndpoint(settings, variables, options);
        var (pathStyle, addressingSource) = ResolveAddressing(settings, variables, endpoint);
        var (roots, caSource) = ResolveCa(settings, variables);
        var (proxy, proxySource) = ResolveProxy(variables);

        return new S3Connection(url.Bucket, url.Prefix, region, regionSource, endpoint, endpointSource, pathStyle, addressingSource,
            roots, caSource, proxy, proxySource, credentials);
    }

    /// <summary>
    /// Checks what a Secret gives an S3 target (keys, AWS_ENDPOINTS, AWS_CERT, proxies; VIRTUAL_HOSTED_STYLE was checked
    /// when the Secret was read) as a command will read it, without the environment and without a request: a bad value
    /// is refused before saving.
    /// </summary>
    internal static void CheckSecret(SecretManifest secret, CredentialSecretReference reference)
    {
        var alone = new StoreOpenOptions { Environment = _ => null };
        var variables = new S3Variables(alone, secret, reference);
        S3CredentialResolver.FromSecret(variables, reference);
        ResolveEndpoint(null, variables, alone);
        ResolveCa(null, variables);
        ResolveProxy(variables);
    }

    private static (Uri? Endpoint, string Source) ResolveEndpoint(S3TargetSettings? settings, S3Variables variables, StoreOpenOptions options)
    {
        if (settings?.EndpointUrl is { Length: > 0 } own)
            return (ParseEndpoint(own, "the target's -EndpointUrl", "Set the target again with a valid -EndpointUrl."), "the target's -EndpointUrl");
        if (variables.Get(CredentialKeys.AwsEndpoints) is { } longhorn)
        {
            string source = variables.SourceOf(CredentialKeys.AwsEndpoints);
            string fix = variables.FromSecret(CredentialKeys.AwsEndpoints) is null
                ? $"Correct or unset the environment variable {CredentialKeys.AwsEndpoints}."
                : $"Correct {CredentialKeys.AwsEndpoints} in {variables.Secret}, or give -EndpointUrl to Set-LhBackupTarget.";
            return (ParseEndpoint(longhorn, source, fix), source);
        }
        foreach (var name in new[] { "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL" })
            if (options.GetEnvironment(name) is { } text)
                return (ParseEndpoint(text, name, $"Correct or unset the environment variable {name}."), name);
        return (null, "AWS (no custom endpoint)");
    }

    private static (bool PathStyle, string Source) ResolveAddressing(S3TargetSettings? settings, S3Variables variables, Uri? endpoint)
    {
        if (settings?.ForcePathStyle is bool forced) return (forced, "the target's -ForcePathStyle");
        if (ParseBool(variables.Get(CredentialKeys.VirtualHostedStyle)) is bool virtualHosted)
            return (!virtualHosted, variables.SourceOf(CredentialKeys.VirtualHostedStyle));
        return (endpoint is not null, endpoint is not null ? "the default with a custom endpoint" : "the default for AWS");
    }

    private static (X509Certificate2Collection? Roots, string? Source) ResolveCa(S3TargetSettings? settings, S3Variables variables)
    {
        if (settings?.CACertificatePath is { Length: > 0 } caPath)
            return (CaCertificates.LoadFile(caPath, "the target's -CACertificatePath"), $"'{caPath}' (the target's -CACertificatePath)");
        if (variables.FromSecret(CredentialKeys.AwsCert) is { } fromSecret)
        {
            // Longhorn's Secrets hold the PEM itself; a value that is not PEM is not echoed (it could be anything).
            string source = variables.SourceOf(CredentialKeys.AwsCert);
            if (!fromSecret.Contains("-----BEGIN", StringComparison.Ordinal))
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    $"{source} is not PEM text: a Secret's {CredentialKeys.AwsCert} holds the CA certificate(s) themselves, -----BEGIN CERTIFICATE----- blocks.",
                    source, $"Put the PEM text in {CredentialKeys.AwsCert}, or give -CACertificatePath <file> to Set-LhBackupTarget.");
            return (CaCertificates.LoadPem(fromSecret, source), $"the PEM in {source}");
        }
        if (variables.Get(CredentialKeys.AwsCert) is { } awsCert)
            return awsCert.Contains("-----BEGIN", StringComparison.Ordinal)
                ? (CaCertificates.LoadPem(awsCert, "AWS_CERT"), "the PEM in AWS_CERT")
                : (CaCertificates.LoadFile(awsCert, "AWS_CERT"), $"'{awsCert}' (AWS_CERT)");
        return (null, null);
    }

    private static (EnvironmentProxy? Proxy, string? Source) ResolveProxy(S3Variables variables)
    {
        var proxy = EnvironmentProxy.FromEnvironment(variables.Get, out var source,
            name => variables.FromSecret(name) is null ? $"the environment variable {name}" : variables.SourceOf(name));
        var fromSecret = new[] { CredentialKeys.HttpProxy, CredentialKeys.HttpsProxy, CredentialKeys.NoProxy }
            .Where(k => variables.FromSecret(k) is not null).ToList();
        if (proxy is not null && fromSecret.Count > 0) source += $" ({string.Join(", ", fromSecret)} from {variables.Secret})";
        return (proxy, source);
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

    private static Uri ParseEndpoint(string text, string source, string fix)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The S3 endpoint from {source} is not an http:// or https:// URL without credentials or query, such as https://minio.example:9000.",
                source, fix);
        return uri;
    }

    private static bool? ParseBool(string? value) => value?.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => null,
    };
}
