using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Storage;
using Azure.Storage.Blobs;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.AzureBlob;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Azurite's Blob service (from tools/azurite) on 127.0.0.1 and a free port, in memory, with a test container, started
/// once for the "AzureBlob" test collection and stopped after it. Runs `npm ci` first when the package is not
/// installed yet. The launcher stops the emulator when its standard input closes, so a crashed test run leaves none.
/// </summary>
public sealed class AzuriteServer : IDisposable
{
    public const string Container = "lhb-test";
    /// <summary>Azurite's development account and key: public and documented, not a secret.</summary>
    public const string Account = "devstoreaccount1";
    public const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    public AzuriteServer()
    {
        string toolDir = Path.Combine(ToolPaths.RepositoryRoot(), "tools", "azurite");
        if (!File.Exists(Path.Combine(toolDir, "node_modules", "azurite", "package.json"))) ToolPaths.RunNpmCi(toolDir);
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = toolDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(toolDir, "launch.js"), "--port", FreePort().ToString() }) start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stderr = _process.StandardError.ReadToEndAsync();
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
        {
            Stop();
            throw new InvalidOperationException($"Azurite did not start: {(stderr.Wait(2000) ? stderr.Result : "")}");
        }
        Port = JsonDocument.Parse(line.Result).RootElement.GetProperty("port").GetInt32();
        _ = _process.StandardOutput.ReadToEndAsync();
        Endpoint = $"http://127.0.0.1:{Port}";
        RawContainer().Create();
    }

    public int Port { get; }
    /// <summary>The Blob service endpoint without the account, as AZBLOB_ENDPOINT and -EndpointUrl take it.</summary>
    public string Endpoint { get; }

    /// <summary>Environment variables a test's store sees instead of the process's: the development account, nothing else.</summary>
    public Dictionary<string, string> Environment(string? key = null, string? account = null) => new()
    {
        [AzureBlobKeys.AccountName] = account ?? Account,
        [AzureBlobKeys.AccountKey] = key ?? Key,
    };

    /// <summary>The target URL of a fresh, unique prefix in the test container.</summary>
    public static TargetUrl NewUrl(string? container = null) => TargetUrl.Parse($"azblob://{container ?? Container}/t-{Guid.NewGuid():N}/");

    /// <param name="endpoint">Another endpoint in front of this emulator (a <see cref="FaultProxy"/>); null: its own.</param>
    public BackupTargetDefinition Definition(TargetUrl url, string? endpoint = null) =>
        new BackupTargetDefinition("azure-test", url.Canonical, DateTimeOffset.UtcNow).WithSettings(AzureBlobDriver.KindName, new AzureBlobTargetSettings { EndpointUrl = endpoint ?? Endpoint });

    /// <summary>Opens the store through the real driver, as the cmdlets do (through <paramref name="endpoint"/> when given).</summary>
    public Backupstore Open(TargetUrl url, int? maxErrorRetry = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null,
        Action<string>? diagnostics = null, int? listPageSize = null, BackupTargetDefinition? definition = null,
        Func<HttpMessageHandler, HttpMessageHandler>? wrap = null, string? endpoint = null, TimeSpan? firstRetryDelay = null)
    {
        var env = environment ?? Environment();
        return Backupstore.Open(url, definition ?? Definition(url, endpoint), new StoreOpenOptions
        {
            Environment = name => env.TryGetValue(name, out var v) ? v : null,
            MaxErrorRetry = maxErrorRetry,
            RequestTimeout = timeout,
            Diagnostics = diagnostics,
            ListPageSize = listPageSize,
            WrapHttpHandler = wrap,
            FirstRetryDelay = firstRetryDelay,
        });
    }

    /// <summary>A plain SDK client, independent of the driver under test, to look at what the driver stored.</summary>
    public BlobContainerClient RawContainer(string container = Container) =>
        new(new Uri($"{Endpoint}/{Account}/{container}"), new StorageSharedKeyCredential(Account, Key),
            new BlobClientOptions(BlobClientOptions.ServiceVersion.V2025_01_05));

    /// <summary>Every blob below the URL's prefix (relative to it) with its bytes, read with the plain client.</summary>
    public async Task<SortedDictionary<string, byte[]>> ReadAllAsync(TargetUrl url)
    {
        var container = RawContainer();
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        string prefix = ((AzureBlobLocation)url.Location!).Prefix + "/";
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, default))
            result[blob.Name[prefix.Length..]] = (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
        return result;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Stop()
    {
        try
        {
            _process.StandardInput.Close();   // the launcher stops the emulator and exits
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}

[CollectionDefinition("AzureBlob")]
public sealed class AzureBlobCollection : ICollectionFixture<AzuriteServer>
{
}

/// <summary>A fresh prefix in the test container of the loopback Azurite.</summary>
public sealed class AzureBlobHarness : TargetHarness
{
    private readonly AzuriteServer _server;

    public AzureBlobHarness(AzuriteServer server)
    {
        _server = server;
        Url = AzuriteServer.NewUrl();
        Store = server.Open(Url);
    }

    public override TargetUrl Url { get; }
    public override Backupstore Store { get; }

    public override Task<SortedDictionary<string, byte[]>> ObjectsAsync() => _server.ReadAllAsync(Url);

    public override async Task PutObjectsAsync(IReadOnlyDictionary<string, byte[]> objects)
    {
        var container = _server.RawContainer();
        string prefix = ((AzureBlobLocation)Url.Location!).Prefix + "/";
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (pair, ct) =>
            await container.GetBlobClient(prefix + pair.Key).UploadAsync(new BinaryData(pair.Value), overwrite: true, ct));
    }
}
