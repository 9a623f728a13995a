using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using Azure.Storage;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.Http;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>How to authenticate: exactly one of a shared key, a SAS token or an identity, with a source that names no secret.</summary>
internal sealed record AzureBlobCredential(StorageSharedKeyCredential? SharedKey, string? SasToken, TokenCredential? Identity, string Source);

/// <summary>
/// Everything needed to reach an Azure Blob target, resolved at use time as Longhorn's driver does: the account and
/// key from the target's Secret or AZBLOB_ACCOUNT_NAME/AZBLOB_ACCOUNT_KEY, the endpoint from -EndpointUrl or
/// AZBLOB_ENDPOINT (path style: endpoint/account, as for Azurite), else https://account.blob.suffix. Beyond Longhorn,
/// a SAS token (AZBLOB_SAS_TOKEN) or, with neither key nor token, the Azure identity chain (DefaultAzureCredential).
/// </summary>
internal sealed class AzureBlobConnection
{
    private const string DefaultSuffix = "core.windows.net";

    private AzureBlobConnection(AzureBlobLocation location, string account, Uri serviceUri, string endpointSource, AzureBlobCredential credential,
        X509Certificate2Collection? extraRoots, string? caSource, EnvironmentProxy? proxy, string? proxySource)
    {
        Container = location.Container;
        Prefix = location.Prefix;
        Account = account;
        ServiceUri = serviceUri;
        EndpointSource = endpointSource;
        Credential = credential;
        ExtraRoots = extraRoots;
        CaSource = caSource;
        Proxy = proxy;
        ProxySource = proxySource;
    }

    public string Container { get; }
    public string Prefix { get; }
    public string Account { get; }
    public Uri ServiceUri { get; }
    public string EndpointSource { get; }
    public AzureBlobCredential Credential { get; }
    public X509Certificate2Collection? ExtraRoots { get; }
    public string? CaSource { get; }
    public EnvironmentProxy? Proxy { get; }
    public string? ProxySource { get; }

    /// <summary>Where the store is, for messages: container, prefix and service. Never a secret.</summary>
    public string Location => $"azblob://{Container}/{(Prefix.Length == 0 ? "" : Prefix + "/")} at {ServiceUri.GetLeftPart(UriPartial.Path).TrimEnd('/')}";

    public static AzureBlobConnection Resolve(TargetUrl url, AzureBlobTargetSettings? settings, StoreOpenOptions options) =>
        Resolve((AzureBlobLocation)url.Location!, settings, SecretVariables.For(settings?.CredentialSecret, options));

    public static AzureBlobConnection Resolve(AzureBlobLocation location, AzureBlobTargetSettings? settings, SecretVariables variables)
    {
        var (account, credential) = ResolveCredential(settings, variables);
        var (serviceUri, endpointSource) = ResolveEndpoint(location, settings, variables, account);
        var (roots, caSource) = ResolveCa(settings, variables);
        var proxy = EnvironmentProxy.FromEnvironment(variables.Get, out var proxySource, variables.SourceOf);
        return new AzureBlobConnection(location, account, serviceUri, endpointSource, credential, roots, caSource, proxy, proxySource);
    }

    /// <summary>Checks what a Secret gives an Azure target, without the environment and without a request.</summary>
    internal static void CheckSecret(AzureBlobLocation location, AzureBlobTargetSettings settings, SecretManifest secret, CredentialSecretReference reference) =>
        Resolve(location, settings, new SecretVariables(new StoreOpenOptions { Environment = _ => null }, secret, reference));

    private static (string Account, AzureBlobCredential Credential) ResolveCredential(AzureBlobTargetSettings? settings, SecretVariables variables)
    {
        string? account = variables.Get(AzureBlobKeys.AccountName) ?? settings?.AccountName;
        string? key = variables.Get(AzureBlobKeys.AccountKey);
        string? sas = variables.Get(AzureBlobKeys.SasToken);
        if (key is not null && account is null)
            throw Missing($"{variables.SourceOf(AzureBlobKeys.AccountKey)} gives an account key but no account name is set.",
                $"Set {AzureBlobKeys.AccountName} next to {AzureBlobKeys.AccountKey}, or give -AccountName with -AccountKey.");
        if (account is null)
            throw Missing($"No storage account is named for this Azure Blob target: neither its credential Secret, {AzureBlobKeys.AccountName} nor -AccountName gives one.",
                $"Give -AccountName and -AccountKey (or -Credential) to Set-LhBackupTarget, reference a Secret with {AzureBlobKeys.AccountName} and {AzureBlobKeys.AccountKey}, or set those variables.");
        if (!AzureBlobSettings.IsAccountName(account))   // it becomes part of the service's host name or path
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"'{account}' from {(variables.Get(AzureBlobKeys.AccountName) is null ? "the target's -AccountName" : variables.SourceOf(AzureBlobKeys.AccountName))} is not a storage account name: use 3 to 24 lower-case letters and digits.",
                AzureBlobKeys.AccountName, "Give the storage account's name as the Azure portal shows it.");
        if (key is not null)
        {
            try
            {
                return (account, new AzureBlobCredential(new StorageSharedKeyCredential(account, key), null, null,
                    $"the shared key of account '{account}' ({variables.SourceOf(AzureBlobKeys.AccountKey)})"));
            }
            catch (FormatException)
            {
                throw new LonghornBackupException(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                    $"The account key from {variables.SourceOf(AzureBlobKeys.AccountKey)} is not valid base64: an Azure account key is the base64 text the portal shows.",
                    AzureBlobKeys.AccountKey, "Copy the account key again (Access keys of the storage account).");
            }
        }
        if (sas is not null)
            return (account, new AzureBlobCredential(null, sas.TrimStart('?'), null, $"a SAS token for account '{account}' ({variables.SourceOf(AzureBlobKeys.SasToken)})"));
        if (variables.Secret is { } reference)
            throw CredentialSecretFile.NotFound(reference,
                $"The credentials of this target are {reference}, which names account '{account}' but holds neither {AzureBlobKeys.AccountKey} nor {AzureBlobKeys.SasToken}.");
        return (account, new AzureBlobCredential(null, null, new DefaultAzureCredential(),
            $"the Azure identity chain (DefaultAzureCredential: environment, workload or managed identity, Azure CLI) for account '{account}'"));
    }

    private static (Uri Uri, string Source) ResolveEndpoint(AzureBlobLocation location, AzureBlobTargetSettings? settings, SecretVariables variables, string account)
    {
        string? endpoint = settings?.EndpointUrl;
        string source = "the target's -EndpointUrl";
        if (endpoint is null && variables.Get(AzureBlobKeys.Endpoint) is { } fromVariables)
        {
            endpoint = fromVariables;
            source = variables.SourceOf(AzureBlobKeys.Endpoint);
        }
        if (endpoint is not null)
        {
            var uri = ParseEndpoint(endpoint, source);
            // Longhorn's rule: with an endpoint the account is a path segment (path style, as emulators serve it).
            return (new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + account), source);
        }
        string suffix = location.Suffix ?? DefaultSuffix;
        return (new Uri($"https://{account}.blob.{suffix}"), location.Suffix is null ? "the default suffix core.windows.net" : "the suffix in the target URL");
    }

    internal static Uri ParseEndpoint(string text, string source)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The Azure Blob endpoint from {source} is not an http:// or https:// URL without credentials or query, such as http://127.0.0.1:10000.",
                source, "Give the Blob service's base URL; the account is added to it, the container comes from the target URL.");
        return uri;
    }

    private static (X509Certificate2Collection? Roots, string? Source) ResolveCa(AzureBlobTargetSettings? settings, SecretVariables variables)
    {
        if (settings?.CACertificatePath is { Length: > 0 } caPath)
            return (CaCertificates.LoadFile(caPath, "the target's -CACertificatePath"), $"'{caPath}' (the target's -CACertificatePath)");
        if (variables.Get(AzureBlobKeys.Cert) is not { } cert) return (null, null);
        string source = variables.SourceOf(AzureBlobKeys.Cert);
        return cert.Contains("-----BEGIN", StringComparison.Ordinal)
            ? (CaCertificates.LoadPem(cert, source), $"the PEM in {source}")
            : (CaCertificates.LoadFile(cert, source), $"'{cert}' ({source})");
    }

    /// <summary>Lines for Write-Debug: the source of every setting, no secret.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"Azure Blob credentials: {Credential.Source}.";
        yield return $"Azure Blob service: {ServiceUri.GetLeftPart(UriPartial.Path)} (from {EndpointSource}).";
        if (CaSource is not null) yield return $"Azure Blob extra trusted CA certificates: {ExtraRoots!.Count} from {CaSource}.";
        if (ProxySource is not null) yield return $"Azure Blob proxy: {ProxySource}.";
    }

    private static LonghornBackupException Missing(string message, string action) =>
        new(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError, message, null, action);
}
