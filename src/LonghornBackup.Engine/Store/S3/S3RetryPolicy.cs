using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3.Internal;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// S3's standard retry policy, except for an endpoint where nothing will answer: a refused connection or a host name
/// that does not resolve fails on the first attempt (the SDK retries both, which took ~20 s of backoff to report a
/// store that is not there). Throttling, 5xx, resets and timeouts keep their retries.
/// </summary>
internal sealed class S3RetryPolicy : AmazonS3StandardRetryPolicy
{
    public S3RetryPolicy(IClientConfig config) : base(config) { }

    public override bool RetryForException(IExecutionContext executionContext, Exception exception) =>
        !IsDeadEndpoint(exception) && base.RetryForException(executionContext, exception);

    public override Task<bool> RetryForExceptionAsync(IExecutionContext executionContext, Exception exception) =>
        IsDeadEndpoint(exception) ? Task.FromResult(false) : base.RetryForExceptionAsync(executionContext, exception);

    /// <summary>
    /// True when the connection was refused or the host name does not exist (not a temporary DNS failure, which may
    /// pass). .NET 8 reports these as SocketExceptions; .NET Framework's HttpWebRequest as WebException statuses.
    /// </summary>
    public static bool IsDeadEndpoint(Exception? e)
    {
        for (int depth = 0; e is not null && depth < 12; depth++, e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NoData }) return true;
            if (e is WebException { Status: WebExceptionStatus.NameResolutionFailure }) return true;
        }
        return false;
    }
}
