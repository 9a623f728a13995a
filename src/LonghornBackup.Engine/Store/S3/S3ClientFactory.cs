using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Builds the AmazonS3Client for a resolved connection with the settings Longhorn's driver uses (docs/backupstore-format.md §7.5):
/// checksums only when an operation requires them (no CRC trailers, no aws-chunked bodies that S3-compatible stores
/// may keep as part of the object), no retries of its own (the store retries whole requests, see
/// <see cref="Http.RequestRetries"/>), path-style with a custom endpoint.
/// </summary>
internal static class S3ClientFactory
{
    public static AmazonS3Client Create(S3Connection connection, StoreOpenOptions options)
    {
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // One attempt per call: S3Store retries the whole request, body included, and counts the attempts.
            MaxErrorRetry = 0,
            ForcePathStyle = connection.PathStyle,
#if NET
            HttpClientFactory = new S3HttpClientFactory(connection, options.WrapHttpHandler),
#endif
        };
#if !NET
        UseFrameworkHttpStack(config, connection);
#endif
        if (options.RequestTimeout is TimeSpan timeout) config.Timeout = timeout;
        if (connection.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = connection.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(connection.Region);
        }
        return new AmazonS3Client(connection.Credentials.Credentials, config);
    }

#if !NET
    /// <summary>
    /// On .NET Framework the SDK sends requests through HttpWebRequest, which has no per-client certificate check:
    /// the proxy is set on the client, and extra CAs belong in the Windows certificate store, as for every other
    /// program there.
    /// </summary>
    private static void UseFrameworkHttpStack(AmazonS3Config config, S3Connection connection)
    {
        // SetWebProxy takes one fixed proxy: the one the environment picks for this client's endpoint (or none).
        if (connection.Proxy is not null)
        {
            var endpoint = connection.Endpoint ?? new Uri($"https://s3.{connection.Region}.amazonaws.com/");
            if (!connection.Proxy.IsBypassed(endpoint) && connection.Proxy.GetProxy(endpoint) is { } proxy)
                config.SetWebProxy(new System.Net.WebProxy(proxy) { Credentials = connection.Proxy.Credentials });
        }
        if (connection.ExtraRoots is not null)
            throw new Errors.LonghornBackupException(Errors.ErrorIds.InvalidTargetSetting, Errors.ErrorKind.NotImplemented,
                $"Extra trusted CA certificates ({connection.CaSource}) are not supported on Windows PowerShell 5.1.",
                connection.CaSource,
                "Import the CA certificate into the Windows certificate store (Cert:\\LocalMachine\\Root) and leave AWS_CERT unset, or use PowerShell 7.");
    }
#endif
}
