using System.Diagnostics;
using System.Net;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The fault proxy does what the fault tests rely on, seen with a plain HttpClient in front of the loopback s3rver:
/// each kind of fault looks on the wire as tools/faultproxy/faultproxy.js says and is counted, an upload cut midway
/// leaves s3rver's old object whole (as S3 does), a stall lasts 3 s unless told otherwise, and the same seed gives the
/// same faults.
/// </summary>
[Collection("S3")]
public sealed class FaultProxyTests(S3Server server) : IDisposable
{
    // A connection per request: HttpClient silently sends a request again when a reused connection drops before the
    // answer, which would hide a reset from this test.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { DefaultRequestHeaders = { ConnectionClose = true } };

    public void Dispose() => _http.Dispose();

    private static string ObjectPath(string key) => $"/{S3Server.Bucket}/{key}";

    private async Task PutAsync(string endpoint, string key, byte[] data)
    {
        using var response = await _http.PutAsync(endpoint + ObjectPath(key), new ByteArrayContent(data));
        response.EnsureSuccessStatusCode();
    }

    private Task<byte[]> GetAsync(string endpoint, string key) => _http.GetByteArrayAsync(endpoint + ObjectPath(key));

    [Fact]
    public async Task Each_kind_of_fault_looks_on_the_wire_as_described_and_is_counted()
    {
        string key = $"fp-{Guid.NewGuid():N}";
        var data = TestImages.RandomBytes(21, 1 << 20);
        await PutAsync(server.Endpoint, key, data);
        using var proxy = new FaultProxy(server.Endpoint);
        string url = proxy.Endpoint + ObjectPath(key);

        async Task<HttpResponseMessage> Get(string kind, HttpRequestMessage? request = null)
        {
            await proxy.ConfigureAsync(new Dictionary<string, double> { [kind] = 1 }, stall: TimeSpan.FromMilliseconds(100));
            return await _http.SendAsync(request ?? new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead);
        }

        foreach (var kind in new[] { "reset", "reset-after" })
            await Assert.ThrowsAsync<HttpRequestException>(() => Get(kind));

        foreach (var kind in new[] { "reset-body", "truncate" })
        {
            using var response = await Get(kind);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(data.Length, response.Content.Headers.ContentLength);   // the whole length is promised
            var body = await response.Content.ReadAsStreamAsync();
            await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null));
        }

        foreach (var kind in new[] { "stall", "stall-body" })
        {
            using var response = await Get(kind);
            Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(1, (await proxy.StatsAsync()).Faults[kind]);
        }

        using (var s3 = await Get("500"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, s3.StatusCode);
            Assert.Contains("<Code>InternalError</Code>", await s3.Content.ReadAsStringAsync());
        }
        var azureRequest = new HttpRequestMessage(HttpMethod.Get, url);
        azureRequest.Headers.Add("x-ms-version", "2025-01-05");
        using (var azure = await Get("503", azureRequest))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, azure.StatusCode);
            Assert.Equal("ServerBusy", azure.Headers.GetValues("x-ms-error-code").Single());
        }

        // An upload reset midway: s3rver keeps the old object whole, as S3 does.
        await proxy.ConfigureAsync(new Dictionary<string, double> { ["reset-upload"] = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => PutAsync(proxy.Endpoint, key, TestImages.RandomBytes(22, 1 << 20)));
        Assert.Equal(1, (await proxy.StatsAsync()).Faults["reset-upload"]);
        Assert.Equal(data, await GetAsync(server.Endpoint, key));

        // A reset after the upstream handled the upload: the object is stored, the client never hears so.
        var stored = TestImages.RandomBytes(23, 1000);
        await proxy.ConfigureAsync(new Dictionary<string, double> { ["reset-after"] = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => PutAsync(proxy.Endpoint, key, stored));
        Assert.Equal(stored, await GetAsync(server.Endpoint, key));
        Assert.Equal(1, (await proxy.StatsAsync()).Faults["reset-after"]);
    }

    [Fact]
    public async Task A_stall_lasts_three_seconds_unless_told_otherwise()
    {
        string key = $"fp-{Guid.NewGuid():N}";
        await PutAsync(server.Endpoint, key, new byte[] { 1, 2, 3 });
        using var proxy = new FaultProxy(server.Endpoint, faults: new Dictionary<string, double> { ["stall"] = 1 });
        var watch = Stopwatch.StartNew();
        Assert.Equal(new byte[] { 1, 2, 3 }, await GetAsync(proxy.Endpoint, key));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2.9), $"the stall lasted {watch.Elapsed.TotalSeconds:0.0} s");
        var stats = await proxy.StatsAsync();
        Assert.Equal(1, stats.Requests);
        Assert.Equal(1, stats.Faults["stall"]);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_faults_to_the_same_requests()
    {
        string key = $"fp-{Guid.NewGuid():N}";
        await PutAsync(server.Endpoint, key, new byte[] { 1 });

        async Task<string[]> OutcomesAsync(int seed)
        {
            using var proxy = new FaultProxy(server.Endpoint, rate: 0.5, seed: seed, stall: TimeSpan.FromMilliseconds(10));
            var outcomes = new List<string>();
            for (int i = 0; i < 30; i++)
            {
                try
                {
                    using var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, proxy.Endpoint + ObjectPath(key)));
                    outcomes.Add(((int)response.StatusCode).ToString());
                }
                catch (HttpRequestException)
                {
                    outcomes.Add("reset");
                }
            }
            Assert.Equal(30, (await proxy.StatsAsync()).Requests);
            return outcomes.ToArray();
        }

        var first = await OutcomesAsync(7);
        Assert.Equal(first, await OutcomesAsync(7));
        Assert.NotEqual(first, await OutcomesAsync(8));
        Assert.Contains("200", first);
        Assert.Contains(first, o => o != "200");
    }
}
