#if NET
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// The HTTP stack under the S3 client: the proxy from the environment, extra trusted CA certificates (a server
/// certificate is accepted when the system trusts it or when it chains to one of them, as Longhorn adds AWS_CERT to
/// the system roots), and, in tests, a wrapping handler that injects faults.
/// </summary>
internal sealed class S3HttpClientFactory : HttpClientFactory
{
    private readonly S3Connection _connection;
    private readonly Func<HttpMessageHandler, HttpMessageHandler>? _wrap;

    public S3HttpClientFactory(S3Connection connection, Func<HttpMessageHandler, HttpMessageHandler>? wrap)
    {
        _connection = connection;
        _wrap = wrap;
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
        };
        if (clientConfig.MaxConnectionsPerServer is int max) handler.MaxConnectionsPerServer = max;
        if (_connection.Proxy is not null)
        {
            handler.UseProxy = true;
            handler.Proxy = _connection.Proxy;
        }
        else if (!OperatingSystem.IsWindows())
        {
            // Elsewhere the default proxy is the environment as it was at process start; ours was read just now.
            handler.UseProxy = false;
        }
        if (_connection.ExtraRoots is { } roots)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => CaCertificates.Trusted(certificate, chain, errors, roots);

        HttpMessageHandler outer = _wrap is null ? handler : _wrap(handler);
        var client = new HttpClient(outer, disposeHandler: true);
        if (clientConfig.Timeout is TimeSpan timeout) client.Timeout = timeout;
        return client;
    }

    // Cache per S3 client: its HttpClient lives and dies with it.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => true;
    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
    public override string? GetConfigUniqueString(IClientConfig clientConfig) => null;
}
#endif
