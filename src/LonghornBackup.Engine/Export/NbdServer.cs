using System.Collections.Concurrent;
using System.Net.Sockets;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Accepts NBD clients on one endpoint and runs each connection (negotiation, then transmission) on the thread
/// pool. Stopping closes the listener and every connection and removes the Unix socket file.
/// </summary>
internal sealed class NbdServer
{
    private readonly IReadOnlyList<BackupExport> _exports;
    private readonly ExportEndpoint _endpoint;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private long _connectionsAccepted;

    public NbdServer(IReadOnlyList<BackupExport> exports, ExportEndpoint endpoint)
    {
        _exports = exports;
        _endpoint = endpoint;
    }

    public CancellationToken Stopping => _stop.Token;
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);
    public int ConnectionsOpen => _connections.Count;

    /// <summary>Failures of the accept loop (never expected), for the session to report.</summary>
    public Action<Exception>? OnFault { get; set; }

    /// <summary>Binds and starts accepting. Throws SocketException when the endpoint cannot be used.</summary>
    public void Start()
    {
        _listener = _endpoint.Bind();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        var listener = _listener!;
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await Task.Factory.FromAsync(listener.BeginAccept, listener.EndAccept, null).ConfigureAwait(false); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }   // a client that went away while being accepted
            catch (Exception e)
            {
                OnFault?.Invoke(e);
                return;
            }
            Interlocked.Increment(ref _connectionsAccepted);
            if (client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) client.NoDelay = true;
            var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = Task.Run(async () =>
            {
                await gate.Task.ConfigureAwait(false);
                await ServeAsync(client).ConfigureAwait(false);
            });
            _connections[client] = task;
            gate.SetResult(true);   // registered first, so a quick client's removal finds its entry
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using var network = new NetworkStream(client, ownsSocket: false);
            using var output = new BufferedStream(network, 256 * 1024);
            var session = await new NbdNegotiation(network, output, _exports).RunAsync(_stop.Token).ConfigureAwait(false);
            if (session is null) return;
            await output.FlushAsync(_stop.Token).ConfigureAwait(false);
            // Replies go to the socket directly, header and data in one gathered send each.
            await new NbdTransmission(network, client, session).RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A client that disconnects or a server that stops: nothing to report.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            try { client.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            client.Dispose();
        }
    }

    /// <summary>
    /// Stops accepting and removes the socket file at once, then closes every connection and waits (briefly) for them.
    /// The visible traces go first: a process ending on SIGTERM on a loaded machine may not get the whole wait.
    /// </summary>
    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener?.Dispose();
        if (_endpoint.IsUnix)
        {
            try { File.Delete(_endpoint.SocketPath!); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        foreach (var client in _connections.Keys)
        {
            try { client.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
        var all = Task.WhenAll(_connections.Values.Append(_acceptLoop));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
    }
}
