using System.Diagnostics;
using System.Text.Json;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The fault-injecting proxy (tools/faultproxy/faultproxy.js) on 127.0.0.1 and a free port, in front of a loopback
/// s3rver or Azurite: resets, a body reset or cut short, 500 and 503 answers, stalls, cut uploads, at a set rate drawn
/// from a seeded generator. <see cref="Stats"/> reads what it injected, so a test can prove the faults happened. The
/// proxy exits when its standard input closes, so a crashed test run leaves none behind.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly Process _process;

    /// <param name="upstream">The server's endpoint (http://127.0.0.1:port).</param>
    /// <param name="rate">The share of requests that suffer a fault, spread evenly over the kinds.</param>
    /// <param name="faults">Rates of single kinds (faultproxy.js names them), over those of <paramref name="rate"/>.</param>
    /// <param name="stall">How long a stall lasts; null keeps the proxy's default (3 s).</param>
    public FaultProxy(string upstream, double rate = 0, int seed = 1, TimeSpan? stall = null, IReadOnlyDictionary<string, double>? faults = null)
    {
        string script = Path.Combine(ToolPaths.RepositoryRoot(), "tools", "faultproxy", "faultproxy.js");
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "--upstream", upstream, "--seed", seed.ToString(), "--rate", rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        if (stall is { } s) foreach (var arg in new[] { "--stall-ms", ((int)s.TotalMilliseconds).ToString() }) start.ArgumentList.Add(arg);
        foreach (var (kind, r) in faults ?? new Dictionary<string, double>())
            foreach (var arg in new[] { "--fault", $"{kind}={r.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}" }) start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stderr = _process.StandardError.ReadToEndAsync();
        var line = _process.StandardOutput.ReadLineAsync();
        // A bound for a proxy that never starts, not a time window: node can take long to start on a busy machine.
        if (!line.Wait(TimeSpan.FromSeconds(120)) || line.Result is null)
        {
            Stop();
            throw new InvalidOperationException($"faultproxy did not start: {(stderr.Wait(2000) ? stderr.Result : "")}");
        }
        Port = JsonDocument.Parse(line.Result).RootElement.GetProperty("port").GetInt32();
        _ = _process.StandardOutput.ReadToEndAsync();   // keep the pipe drained
        Endpoint = $"http://127.0.0.1:{Port}";
    }

    public int Port { get; }
    public string Endpoint { get; }

    /// <summary>Requests the proxy has seen (not counting its own control requests) and the faults it injected, by kind.</summary>
    public async Task<FaultProxyStats> StatsAsync()
    {
        using var http = new HttpClient();
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{Endpoint}/__faultproxy/stats"));
        var faults = doc.RootElement.GetProperty("faults").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        return new FaultProxyStats(doc.RootElement.GetProperty("requests").GetInt32(), faults);
    }

    /// <summary>Replaces the rates, seed and stall (kinds left out get none) and zeroes the counters.</summary>
    public async Task ConfigureAsync(IReadOnlyDictionary<string, double> faults, int seed = 1, TimeSpan? stall = null)
    {
        using var http = new HttpClient();
        var body = JsonSerializer.Serialize(new { seed, faults, stallMs = stall is { } s ? (int?)s.TotalMilliseconds : null },
            new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        using var response = await http.PutAsync($"{Endpoint}/__faultproxy/config", new StringContent(body));
        response.EnsureSuccessStatusCode();
    }

    private void Stop()
    {
        try
        {
            _process.StandardInput.Close();   // the proxy closes and exits
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}

/// <summary>What the proxy saw and did: requests forwarded or faulted, and the count of each kind of fault injected.</summary>
public sealed record FaultProxyStats(int Requests, IReadOnlyDictionary<string, int> Faults)
{
    public int TotalFaults => Faults.Values.Sum();
}
