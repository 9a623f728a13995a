namespace LonghornBackup.Engine.Store;

/// <summary>How a target's store is opened: where diagnostics go, where environment variables come from, how patient the driver is.</summary>
public sealed class StoreOpenOptions
{
    public static StoreOpenOptions Default { get; } = new();

    /// <summary>
    /// Receives non-secret lines saying which source supplied the credentials, region, endpoint and so on
    /// (the cmdlets show them with Write-Debug). Never receives a secret.
    /// </summary>
    public Action<string>? Diagnostics { get; init; }

    /// <summary>Reads an environment variable; null reads the process environment at the time of the call.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>
    /// Attempts after the first for one request of a network store that fails transiently (throttling, 5xx, a reset,
    /// a body cut short, a timeout): the whole request is sent again (see Http.RequestRetries). Null: 9.
    /// </summary>
    public int? MaxErrorRetry { get; init; }

    /// <summary>Tests: the wait before a network store's first retry (200 ms by default; later ones double), to keep fault tests fast or a backoff long.</summary>
    internal TimeSpan? FirstRetryDelay { get; init; }

    /// <summary>Time limit for one HTTP request of a network store, and for each wait for more of its response body; null keeps the SDK's default (100 s).</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>Tests: wraps the HTTP handler under a network store's client (fault injection, request counting).</summary>
    internal Func<HttpMessageHandler, HttpMessageHandler>? WrapHttpHandler { get; init; }   // honoured on .NET 8 only

    /// <summary>The machine's mount table, mount commands and mount records for nfs:// and cifs:// targets; null: this machine's (tests give their own).</summary>
    internal Shares.ShareSystem? Shares { get; init; }

    /// <summary>Tests: keys per listing page of a network store (S3 pages 1000 by default, Azure 5000), to exercise paging with a few objects.</summary>
    internal int? ListPageSize { get; init; }

    internal string? GetEnvironment(string name)
    {
        string? value = Environment is null ? System.Environment.GetEnvironmentVariable(name) : Environment(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    internal void Report(string line) => Diagnostics?.Invoke(line);
}
