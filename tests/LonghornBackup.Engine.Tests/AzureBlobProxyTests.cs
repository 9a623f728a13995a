using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>The Azure Blob driver sends its requests through the proxy named by HTTP_PROXY (in the Secret or the environment), except for hosts in NO_PROXY.</summary>
[Collection("AzureBlob")]
public sealed class AzureBlobProxyTests(AzuriteServer server) : IDisposable
{
    private readonly TcpListener _proxy = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<string> _requestLines = new();
    private readonly CancellationTokenSource _stop = new();

    public void Dispose()
    {
        _stop.Cancel();
        _proxy.Stop();
    }

    /// <summary>A proxy that records each request line and answers every request with 503 ServerBusy.</summary>
    private int StartRecordingProxy()
    {
        _proxy.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _proxy.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n"))
                {
                    int n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0) break;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                _requestLines.Enqueue(head.ToString().Split("\r\n")[0]);
                const string body = "<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code><Message>from the proxy</Message></Error>";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nx-ms-error-code: ServerBusy\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
            }
        });
        return ((IPEndPoint)_proxy.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Requests_go_through_HTTP_PROXY_unless_NO_PROXY_names_the_host()
    {
        int port = StartRecordingProxy();
        var url = AzuriteServer.NewUrl();
        var env = server.Environment();
        env["HTTP_PROXY"] = $"http://127.0.0.1:{port}";

        using (var proxied = server.Open(url, environment: env, maxErrorRetry: 0))
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(() => proxied.ListVolumeNamesAsync(CancellationToken.None));
            Assert.Contains("503 ServerBusy", e.Message);
        }
        Assert.True(_requestLines.TryDequeue(out var line));
        Assert.StartsWith($"GET {server.Endpoint}/{AzuriteServer.Account}/{AzuriteServer.Container}", line);   // an absolute URI: a proxied request

        env["NO_PROXY"] = "localhost,127.0.0.1";
        using var direct = server.Open(url, environment: env, maxErrorRetry: 0);
        Assert.Empty(await direct.ListVolumeNamesAsync(CancellationToken.None));
        Assert.Empty(_requestLines);
    }
}
