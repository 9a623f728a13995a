using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace LonghornBackup.Engine.Store.Http;

/// <summary>
/// What a failed HTTP exchange of a network store (S3 or Azure, either SDK) says about the network: an endpoint where
/// nothing will answer and a failed TLS handshake are permanent (retrying them only delays the error); a reset, a body
/// cut short, a time limit or another dropped connection is transient and worth the whole request again.
/// </summary>
internal static class TransportFaults
{
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

    /// <summary>
    /// True for a transport failure another attempt may not meet: a reset or closed connection, a body that ended before
    /// its Content-Length, a time limit (an OperationCanceledException here is never the caller's own cancellation,
    /// which <see cref="RequestRetries"/> lets through first). False for a dead endpoint, a TLS failure, and anything
    /// that is not the network's.
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        if (IsDeadEndpoint(e) || Find<AuthenticationException>(e) is not null) return false;
        if (Find<WebException>(e) is { Status: WebExceptionStatus.TrustFailure or WebExceptionStatus.SecureChannelFailure }) return false;
        return Find<OperationCanceledException>(e) is not null || Find<TimeoutException>(e) is not null || Find<IOException>(e) is not null
            || Find<HttpRequestException>(e) is not null || Find<SocketException>(e) is not null || Find<WebException>(e) is not null;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (int depth = 0; e is not null && depth < 12; depth++, e = e.InnerException)
        {
            if (e is T match) return match;
            if (e is AggregateException { InnerExceptions.Count: > 0 } agg) return Find<T>(agg.InnerExceptions[^1]);
        }
        return null;
    }
}
