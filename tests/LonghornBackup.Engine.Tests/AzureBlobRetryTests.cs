using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.AzureBlob;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Whole-request retries of the Azure Blob driver, faults injected below the SDK by a handler that counts requests:
/// the store is the one owner of retries (the SDK makes one attempt per call and does not resume a cut download with a
/// ranged GET of its own), so a body reset midway costs exactly one more whole GET, a 503 that outlasts the retries
/// says the true number of attempts, a failed listing page is asked for again on its own, and a service where nothing
/// listens fails at once.
/// </summary>
[Collection("AzureBlob")]
public sealed class AzureBlobRetryTests(AzuriteServer server)
{
    private const string Key = "backupstore/retry/object.bin";
    private static readonly CancellationToken None = CancellationToken.None;

    private async Task<(TargetUrl Url, byte[] Data)> StoredObjectAsync()
    {
        var url = AzuriteServer.NewUrl();
        var data = TestImages.RandomBytes(8, 300_000);
        using var clean = server.Open(url);
        await clean.Store.WriteAsync(Key, data, None);
        return (url, data);
    }

    private static bool IsBlobGet(HttpRequestMessage r) => r.Method == HttpMethod.Get && !r.RequestUri!.Query.Contains("comp=list", StringComparison.Ordinal);

    [Theory]
    [InlineData(S3Fault.ResetMidBody)]
    [InlineData(S3Fault.TruncateBody)]
    public async Task A_GET_whose_body_fails_midway_is_sent_again_whole_with_one_more_request(S3Fault fault)
    {
        var (url, data) = await StoredObjectAsync();
        var ranges = new List<string?>();
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, wrap: inner => handler = new FaultInjectingHandler(inner, (n, r) =>
        {
            lock (ranges) ranges.Add(r.Headers.TryGetValues("x-ms-range", out var v) ? string.Join(",", v) : r.Headers.Range?.ToString());
            return IsBlobGet(r) && n == 1 ? fault : S3Fault.None;
        }));

        Assert.Equal(data, await store.Store.ReadAsync(Key, None));
        Assert.Equal(2, handler!.Requests);
        Assert.Equal(1, handler.Injected[fault]);
        Assert.All(ranges, range => Assert.True(range is null || range.StartsWith("bytes=0-", StringComparison.Ordinal), $"a resumed download: {range}"));
    }

    [Fact]
    public async Task A_GET_whose_body_stalls_past_the_time_limit_is_sent_again()
    {
        var (url, data) = await StoredObjectAsync();
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, timeout: TimeSpan.FromSeconds(2), wrap: inner => handler = new FaultInjectingHandler(inner, (n, r) =>
            IsBlobGet(r) && n == 1 ? S3Fault.StallMidBody : S3Fault.None));
        Assert.Equal(data, await store.Store.ReadAsync(Key, None));
        Assert.Equal(2, handler!.Requests);
        Assert.Equal(1, handler.Injected[S3Fault.StallMidBody]);
    }

    [Fact]
    public async Task A_busy_service_that_outlasts_the_retries_fails_saying_the_true_number_of_attempts()
    {
        var (url, _) = await StoredObjectAsync();
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, maxErrorRetry: 2, firstRetryDelay: TimeSpan.FromMilliseconds(10),
            wrap: inner => handler = new FaultInjectingHandler(inner, (_, _) => S3Fault.SlowDown503));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.WriteAsync(Key, new byte[] { 1, 2 }, None));
        Assert.Equal(ErrorIds.StoreWriteFailed, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);   // busy, not a write error: try again later
        Assert.Contains("503", e.Message);
        Assert.Contains("after 3 attempts", e.Message);
        Assert.Equal(3, handler!.Requests);
    }

    [Fact]
    public async Task A_listing_whose_page_is_reset_asks_again_for_that_page_only()
    {
        var url = AzuriteServer.NewUrl();
        using (var clean = server.Open(url))
            foreach (var name in new[] { "a", "b", "c", "d", "e" })
                await clean.Store.WriteAsync($"backupstore/list/{name}.cfg", new byte[] { 1 }, None);

        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, listPageSize: 2, wrap: inner => handler = new FaultInjectingHandler(inner, (n, _) => n == 2 ? S3Fault.ResetMidBody : S3Fault.None));
        var names = (await store.Store.ListAsync("backupstore/list", None)).Select(x => x.Name);
        Assert.Equal(new[] { "a.cfg", "b.cfg", "c.cfg", "d.cfg", "e.cfg" }, names);
        Assert.Equal(4, handler!.Requests);   // three pages, the second asked for twice
        Assert.Equal(1, handler.Injected[S3Fault.ResetMidBody]);
    }

    [Fact]
    public async Task A_service_where_nothing_listens_fails_at_once_as_unreachable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = AzuriteServer.NewUrl();
        var definition = new BackupTargetDefinition("dead", url.Canonical, DateTimeOffset.UtcNow)
            .WithSettings(AzureBlobDriver.KindName, new AzureBlobTargetSettings { EndpointUrl = $"http://127.0.0.1:{port}" });
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, definition: definition, wrap: inner => handler = new FaultInjectingHandler(inner, (_, _) => S3Fault.None));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.ListVolumeNamesAsync(None));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Contains("refused the connection", e.Message);
        Assert.Equal(1, handler!.Requests);
    }
}
