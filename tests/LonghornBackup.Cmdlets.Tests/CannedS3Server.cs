using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>
/// An HTTP server on 127.0.0.1 that answers every S3 request with one fixed S3 error, so the cmdlets' whole path
/// (SDK, error translation, ErrorRecord) can be checked for errors a test S3 server cannot be made to produce.
/// </summary>
public sealed class CannedS3Server : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();

    public CannedS3Server(HttpStatusCode status, string code, string extraXml = "")
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        string body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>canned</Message>{extraXml}<RequestId>1</RequestId></Error>";
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                var bytes = Encoding.UTF8.GetBytes(body);
                context.Response.StatusCode = (int)status;
                context.Response.ContentType = "application/xml";
                if (context.Request.HttpMethod != "HEAD") await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        });
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
