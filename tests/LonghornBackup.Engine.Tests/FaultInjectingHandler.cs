using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LonghornBackup.Engine.Tests;

/// <summary>The faults an S3 connection can suffer, injected below the AWS SDK (so its retry logic sees real failures).</summary>
public enum S3Fault
{
    None,
    InternalError500,
    SlowDown503,
    /// <summary>The connection drops before the request reaches the server.</summary>
    ResetBeforeSend,
    /// <summary>The server handled the request (e.g. stored the object), then the connection dropped before the answer.</summary>
    ResetAfterSend,
    /// <summary>The answer comes, late.</summary>
    Slow,
    /// <summary>No answer until the client's request timeout gives up.</summary>
    Stall,
    /// <summary>An object's body arrives with one byte flipped (a GET's ETag/MD5 no longer matches).</summary>
    CorruptBody,
    /// <summary>The handler's <see cref="FaultInjectingHandler.Canned"/> answer instead of the server's.</summary>
    Canned,
    /// <summary>An upload reaches the server with extra bytes, as aws-chunked framing does on stores that keep it.</summary>
    AlterUpload,
}

/// <summary>
/// An HttpMessageHandler between the S3 client and the network that injects faults by a plan (request number and
/// request → fault) and counts what it injected, so a test can prove the faults really happened.
/// </summary>
public sealed class FaultInjectingHandler : DelegatingHandler
{
    private readonly Func<int, HttpRequestMessage, S3Fault> _plan;
    private int _requests;

    public FaultInjectingHandler(HttpMessageHandler inner, Func<int, HttpRequestMessage, S3Fault> plan) : base(inner) => _plan = plan;

    public ConcurrentDictionary<S3Fault, int> Injected { get; } = new();
    public int Requests => Volatile.Read(ref _requests);
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>The S3 error answered for <see cref="S3Fault.Canned"/>: status, code, message and extra XML elements.</summary>
    public (HttpStatusCode Status, string Code, string Message, string Extra) Canned { get; init; }

    /// <summary>True for a GET of one object (not a listing, which is a GET of the bucket with list-type=2).</summary>
    public static bool IsObjectGet(HttpRequestMessage r) => r.Method == HttpMethod.Get && !r.RequestUri!.Query.Contains("list-type", StringComparison.Ordinal);

    public static bool IsBlockPut(HttpRequestMessage r) => r.Method == HttpMethod.Put && r.RequestUri!.AbsolutePath.EndsWith(".blk", StringComparison.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        int n = Interlocked.Increment(ref _requests);
        var fault = _plan(n, request);
        if (fault != S3Fault.None) Injected.AddOrUpdate(fault, 1, (_, c) => c + 1);
        switch (fault)
        {
            case S3Fault.InternalError500:
                return Error(HttpStatusCode.InternalServerError, "InternalError", "We encountered an internal error. Please try again.");
            case S3Fault.SlowDown503:
                return Error(HttpStatusCode.ServiceUnavailable, "SlowDown", "Please reduce your request rate.");
            case S3Fault.AlterUpload when request.Content is not null:
                byte[] sent = await request.Content.ReadAsByteArrayAsync(ct);
                var altered = new ByteArrayContent([.. System.Text.Encoding.ASCII.GetBytes($"{sent.Length:x};chunk-signature=0\r\n"), .. sent, .. "\r\n0\r\n\r\n"u8.ToArray()]);
                foreach (var h in request.Content.Headers.Where(h => h.Key != "Content-Length")) altered.Headers.TryAddWithoutValidation(h.Key, h.Value);
                request.Content = altered;
                return await base.SendAsync(request, ct);
            case S3Fault.Canned:
                return Error(Canned.Status, Canned.Code, Canned.Message, Canned.Extra);
            case S3Fault.ResetBeforeSend:
                throw Reset();
            case S3Fault.ResetAfterSend:
                (await base.SendAsync(request, ct)).Dispose();
                throw Reset();
            case S3Fault.Slow:
                await Task.Delay(SlowDelay, ct);
                return await base.SendAsync(request, ct);
            case S3Fault.Stall:
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                throw new InvalidOperationException("not reached");
            case S3Fault.CorruptBody:
                var response = await base.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode) return response;
                byte[] body = await response.Content.ReadAsByteArrayAsync(ct);
                if (body.Length > 0) body[body.Length / 2] ^= 0xFF;
                var corrupted = new ByteArrayContent(body);
                foreach (var h in response.Content.Headers) corrupted.Headers.TryAddWithoutValidation(h.Key, h.Value);
                response.Content = corrupted;
                return response;
            default:
                return await base.SendAsync(request, ct);
        }
    }

    private static HttpRequestException Reset() =>
        new("An error occurred while sending the request.", new IOException("Unable to read data from the transport connection: Connection reset by peer.",
            new SocketException((int)SocketError.ConnectionReset)));

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string message, string extra = "") => new(status)
    {
        Content = new StringContent($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>injected</RequestId></Error>",
            Encoding.UTF8, "application/xml"),
    };
}
