using LonghornBackup.Engine.Store.S3;
using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Issue 14, item 7: an S3 endpoint where nothing listens (connection refused) or whose host name does not resolve
/// fails at once with BackupTargetUnreachable naming the endpoint and the cause, after one attempt: retries are for
/// throttling, 5xx and dropped connections (S3FaultTests), not for a store that is not there. "At once" is proven by
/// what makes it so, not by a stopwatch a busy machine could overrun: one request is sent, and the failure is the
/// refusal or the failed lookup itself, never a timeout.
/// </summary>
public sealed class S3DeadEndpointTests
{
    /// <summary>A loopback port nothing listens on.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static TheoryData<string, string> DeadEndpoints() => new()
    {
        { $"http://127.0.0.1:{ClosedPort()}", "refused the connection" },
        { "http://nonexistent.invalid:9000", "could not be resolved" },
    };

    /// <summary>Opens the endpoint with the default retries (MaxErrorRetry unset), counting the HTTP requests sent.</summary>
    private static Backupstore Open(string endpoint, out Func<int> requests)
    {
        var url = TargetUrl.Parse($"s3://lhb-dead@us-east-1/t-{Guid.NewGuid():N}/");
        var definition = new BackupTargetDefinition("dead", url.Canonical, DateTimeOffset.UtcNow) .WithS3(new S3TargetSettings { EndpointUrl = endpoint });
        FaultInjectingHandler? counter = null;
        var store = Backupstore.Open(url, definition, new StoreOpenOptions
        {
            Environment = name => name switch { "AWS_ACCESS_KEY_ID" => "LHBDEADKEY", "AWS_SECRET_ACCESS_KEY" => "dead-secret", _ => null },
            WrapHttpHandler = inner => counter = new FaultInjectingHandler(inner, (_, _) => S3Fault.None),
        });
        requests = () => counter?.Requests ?? 0;
        return store;
    }

    [Theory]
    [MemberData(nameof(DeadEndpoints))]
    public async Task A_listing_fails_at_once_as_unreachable_naming_the_endpoint_and_the_cause(string endpoint, string cause)
    {
        using var store = Open(endpoint, out var requests);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.ListVolumeNamesAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains(new Uri(endpoint).GetLeftPart(UriPartial.Authority), e.Message);
        Assert.Contains(cause, e.Message);
        Assert.Equal(1, requests());
        Assert.DoesNotContain("in time", e.Message);
    }

    [Theory]
    [MemberData(nameof(DeadEndpoints))]
    public async Task A_write_fails_at_once_as_unreachable(string endpoint, string cause)
    {
        using var store = Open(endpoint, out var requests);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.WriteAsync("backupstore/x.cfg", new byte[] { 1 }, CancellationToken.None));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Contains(cause, e.Message);
        Assert.Equal(1, requests());
        Assert.DoesNotContain("in time", e.Message);
    }
}
