using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Builds the AmazonS3Client for a resolved connection with the settings Longhorn's driver uses (spec §7.5):
/// checksums only when an operation requires them (no CRC trailers, no aws-chunked bodies that S3-compatible stores
/// may keep as part of the object), standard retries with backoff, path-style with a custom endpoint.
/// </summary>
internal static class S3ClientFactory
{
    /// <summary>Retries after the first attempt: Longhorn gives PUTs 10 attempts.</summary>
    public const int DefaultMaxErrorRetry = 9;

    public static AmazonS3Client Create(S3Connection connection, StoreOpenOptions options)
    {
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxErrorRetry ?? DefaultMaxErrorRetry,
            ForcePathStyle = connection.PathStyle,
            HttpClientFactory = new S3HttpClientFactory(connection, options.WrapHttpHandler),
        };
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
}
