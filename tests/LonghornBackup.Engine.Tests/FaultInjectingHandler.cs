using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LonghornBackup.Engine.Tests;

/// <summary>The faults an S3 or Azure connection can suffer, injected below the SDK (so the store's retries see real failures).</summary>
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
    /// <summary>The answer's headers and half its body come, then the connection is reset.</summary>
    ResetMidBody,
    /// <summary>The answer promises its full Content-Length, half the body comes, then it ends.</summary>
    TruncateBody,
    /// <summary>The answer's headers and half its body come, then nothing until the client gives up.</summary>
    StallMidBody,
}

/// <summary>
/// An HttpMessageHandler between the S3 or Azure client and the network that injects faults by a plan (request number
/// and request → fault) and counts what it injected, so a test can prove the faults really happened. Error answers
/// are S3-shaped; body faults work for both.
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
            case S3Fault.ResetMidBody or S3Fault.TruncateBody or S3Fault.StallMidBody:
                var whole = await base.SendAsync(request, ct);
                byte[] bytes = await whole.Content.ReadAsByteArrayAsync(ct);
                var broken = new StreamContent(new BrokenBody(bytes, fault));
                foreach (var h in whole.Content.Headers) broken.Headers.TryAddWithoutValidation(h.Key, h.Value);
                broken.Headers.ContentLength = bytes.Length;
                whole.Content = broken;
                return whole;
            default:
                return await base.SendAsync(request, ct);
        }
    }

    /// <summary>A response body that delivers its first half, then fails as the fault says.</summary>
    private sealed class BrokenBody(byte[] bytes, S3Fault fault) : Stream
    {
        private int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            int half = bytes.Length / 2;
            if (_position >= half)
            {
                if (fault == S3Fault.ResetMidBody) throw Reset().InnerException!;
                if (fault == S3Fault.StallMidBody) await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            }
            int n = Math.Min(buffer.Length, half - _position);
            bytes.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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
