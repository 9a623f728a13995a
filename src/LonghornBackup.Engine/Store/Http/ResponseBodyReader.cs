namespace LonghornBackup.Engine.Store.Http;

/// <summary>
/// Reads one HTTP response body as a network store needs it: each wait for more of it is limited (a connection that
/// stalls mid-body fails as a time limit instead of hanging a restore), and a body that ends before the length its
/// answer promised fails as cut short even where the HTTP stack does not notice. Both are transient faults
/// (<see cref="TransportFaults"/>): the request is sent again.
/// </summary>
internal sealed class ResponseBodyReader : IDisposable
{
    private readonly Stream _body;
    private readonly long _promised;
    private readonly TimeSpan _limit;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenSource _wait;
    private long _read;

    /// <param name="promised">The Content-Length of the answer, or a negative number when it gave none.</param>
    public ResponseBodyReader(Stream body, long promised, TimeSpan limit, CancellationToken cancellationToken)
    {
        _body = body;
        _promised = promised;
        _limit = limit;
        _cancellationToken = cancellationToken;
        _wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Like Stream.ReadAsync: 0 at the end of a body that was whole.</summary>
    public async Task<int> ReadAsync(byte[] buffer, int offset, int count)
    {
        int n;
        _wait.CancelAfter(_limit);
        try
        {
            n = await _body.ReadAsync(buffer, offset, count, _wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!_cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No more of the response body came within {_limit.TotalSeconds:0.###} s ({_read} bytes read).", e);
        }
        _wait.CancelAfter(Timeout.InfiniteTimeSpan);
        _read += n;
        if (n == 0 && _promised >= 0 && _read < _promised)
            throw new IOException($"The response body ended after {_read} of the {_promised} bytes its Content-Length promised.");
        return n;
    }

    public void Dispose() => _wait.Dispose();
}
