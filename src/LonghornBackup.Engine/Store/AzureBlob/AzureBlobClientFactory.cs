using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Builds the container client for a resolved connection: no retries of its own (the store retries whole requests,
/// see <see cref="Http.RequestRetries"/>), a time limit per request, the proxy and extra CA certificates on the HTTP
/// handler, and the service version pinned to one every supported service and emulator knows.
/// </summary>
internal static class AzureBlobClientFactory
{
    // 2025-01-05 is served by Azure and by Azurite 3.35; newer SDKs would ask for versions the emulator refuses.
    private const BlobClientOptions.ServiceVersion Version = BlobClientOptions.ServiceVersion.V2025_01_05;

    public static (BlobContainerClient Client, IDisposable Transport) Create(AzureBlobConnection connection, StoreOpenOptions options)
    {
        var clientOptions = new BlobClientOptions(Version);
        // One attempt per call: AzureBlobStore retries the whole request, body included, and counts the attempts.
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.AddPolicy(new AzureBlobWholeAnswers(), HttpPipelinePosition.PerCall);
        if (options.RequestTimeout is TimeSpan timeout) clientOptions.Retry.NetworkTimeout = timeout;
        var transport = new HttpClientTransport(Handler(connection, options));
        clientOptions.Transport = transport;

        var containerUri = new Uri(connection.ServiceUri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + connection.Container);
        var credential = connection.Credential;
        var client = credential.SharedKey is { } key ? new BlobContainerClient(containerUri, key, clientOptions)
            : credential.SasToken is { } sas ? new BlobContainerClient(containerUri, new AzureSasCredential(sas), clientOptions)
            : containerUri.Scheme == Uri.UriSchemeHttps ? new BlobContainerClient(containerUri, credential.Identity!, clientOptions)
            : throw new Errors.LonghornBackupException(Errors.ErrorIds.InvalidTargetSetting, Errors.ErrorKind.InvalidArgument,
                $"An Azure identity ({credential.Source}) signs in over https only, and the Blob service {connection.ServiceUri} is http.",
                connection.ServiceUri.ToString(), "Give an https:// endpoint, or an account key or SAS token for this service.");
        return (client, transport);
    }

    private static HttpMessageHandler Handler(AzureBlobConnection connection, StoreOpenOptions options)
    {
#if NET
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
        };
        if (connection.Proxy is not null)
        {
            handler.UseProxy = true;
            handler.Proxy = connection.Proxy;
        }
        else if (!OperatingSystem.IsWindows())
        {
            // Elsewhere the default proxy is the environment as it was at process start; ours was read just now.
            handler.UseProxy = false;
        }
        if (connection.ExtraRoots is { } roots)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Http.CaCertificates.Trusted(certificate, chain, errors, roots);
        return options.WrapHttpHandler is { } wrap ? wrap(handler) : handler;
#else
        // .NET Framework: the proxy goes on the handler; extra CAs belong in the Windows certificate store.
        if (connection.ExtraRoots is not null)
            throw new Errors.LonghornBackupException(Errors.ErrorIds.InvalidTargetSetting, Errors.ErrorKind.NotImplemented,
                $"Extra trusted CA certificates ({connection.CaSource}) are not supported on Windows PowerShell 5.1.", connection.CaSource,
                "Import the CA certificate into the Windows certificate store (Cert:\\LocalMachine\\Root) and leave AZBLOB_CERT unset, or use PowerShell 7.");
        return new HttpClientHandler { UseProxy = connection.Proxy is not null, Proxy = connection.Proxy, AllowAutoRedirect = false };
#endif
    }
}
