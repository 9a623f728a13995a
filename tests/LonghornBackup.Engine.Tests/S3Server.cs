using LonghornBackup.Engine.Store.S3;
using System.Diagnostics;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A real S3 server (s3rver, from tools/s3rver) on 127.0.0.1 and a free port, with a temp data folder and a test
/// bucket, started once for the "S3" test collection and stopped after it. Runs `npm ci` first when the package is
/// not installed yet. The launcher exits when its standard input closes, so a crashed test run leaves no server.
/// </summary>
public class S3Server : IDisposable
{
    public const string Bucket = "lhb-test";
    public const string OtherBucket = "lhb-other";
    public const string AccessKey = "LHBTESTACCESSKEY";
    /// <summary>s3rver does not check SigV4 signatures, so any secret works with a known key id; tests use a canary.</summary>
    public const string SecretKey = "lhb-test-secret-value-0000";
    public const string Region = "us-east-1";

    private readonly Process _process;
    private readonly TempDir _data = new("lhb-s3rver");

    public S3Server() : this(null, null)
    {
    }

    /// <param name="certificatePem">With <paramref name="keyPem"/>: serve HTTPS with this certificate.</param>
    /// <param name="atomicPut">A PUT cut short leaves the old object, as on AWS or Ceph RGW (the suites model
    /// production S3); false keeps s3rver's own way, writing into the object as the body arrives (the kill tests).</param>
    protected S3Server(string? certificatePem, string? keyPem, bool atomicPut = true)
    {
        string toolDir = Path.Combine(ToolPaths.RepositoryRoot(), "tools", "s3rver");
        if (!File.Exists(Path.Combine(toolDir, "node_modules", "s3rver", "package.json"))) ToolPaths.RunNpmCi(toolDir);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = toolDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(toolDir, "launch.js"), "--directory", _data.Path, "--bucket", Bucket, "--bucket", OtherBucket, "--access-key", AccessKey })
            start.ArgumentList.Add(arg);
        if (atomicPut) start.ArgumentList.Add("--atomic-put");
        if (certificatePem is not null && keyPem is not null)
        {
            foreach (var arg in new[] { "--cert", WriteBeside("cert.pem", certificatePem), "--key", WriteBeside("key.pem", keyPem) }) start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stderr = _process.StandardError.ReadToEndAsync();
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
        {
            Stop();
            throw new InvalidOperationException($"s3rver did not start: {(stderr.Wait(2000) ? stderr.Result : "")}");
        }
        Port = JsonDocument.Parse(line.Result).RootElement.GetProperty("port").GetInt32();
        _ = _process.StandardOutput.ReadToEndAsync();   // keep the pipe drained
        Endpoint = $"{(certificatePem is null ? "http" : "https")}://127.0.0.1:{Port}";
    }

    public int Port { get; }
    public string Endpoint { get; }

    /// <summary>Environment variables a test's store sees instead of the process's: the test keys, nothing else.</summary>
    public Dictionary<string, string> Environment(string? secretKey = null, string? accessKey = null) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = accessKey ?? AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = secretKey ?? SecretKey,
    };

    /// <summary>The target URL of a fresh, unique prefix in the test bucket.</summary>
    public static TargetUrl NewUrl(string? bucket = null) => TargetUrl.Parse($"s3://{bucket ?? Bucket}@{Region}/t-{Guid.NewGuid():N}/");

    /// <param name="endpoint">Another endpoint in front of this server (a <see cref="FaultProxy"/>); null: the server's own.</param>
    public BackupTargetDefinition Definition(TargetUrl url, string? endpoint = null) =>
        new BackupTargetDefinition("s3-test", url.Canonical, DateTimeOffset.UtcNow).WithS3(new S3TargetSettings { EndpointUrl = endpoint ?? Endpoint });

    /// <summary>Opens the store through the real driver, as the cmdlets do (through <paramref name="endpoint"/> when given).</summary>
    public Backupstore Open(TargetUrl url, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null, int? maxErrorRetry = null,
        TimeSpan? timeout = null, IDictionary<string, string>? environment = null, Action<string>? diagnostics = null, int? listPageSize = null,
        string? endpoint = null, TimeSpan? firstRetryDelay = null)
    {
        var env = environment ?? Environment();
        return Backupstore.Open(url, Definition(url, endpoint), new StoreOpenOptions
        {
            Environment = name => env.TryGetValue(name, out var v) ? v : null,
            WrapHttpHandler = wrap,
            MaxErrorRetry = maxErrorRetry,
            RequestTimeout = timeout,
            Diagnostics = diagnostics,
            ListPageSize = listPageSize,
            FirstRetryDelay = firstRetryDelay,
        });
    }

    /// <summary>A plain SDK client, independent of the driver under test, to look at what the driver stored.</summary>
    public AmazonS3Client RawClient() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = Region,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Every key below the URL's prefix (relative to it) with its bytes, read with the plain client.</summary>
    public async Task<SortedDictionary<string, byte[]>> ReadAllAsync(TargetUrl url)
    {
        using var client = RawClient();
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        string prefix = url.S3().Prefix + "/";
        var request = new ListObjectsV2Request { BucketName = url.S3().Bucket, Prefix = prefix };
        do
        {
            var page = await client.ListObjectsV2Async(request);
            foreach (var o in page.S3Objects ?? new List<S3Object>())
            {
                using var get = await client.GetObjectAsync(url.S3().Bucket, o.Key);
                using var buffer = new MemoryStream();
                await get.ResponseStream.CopyToAsync(buffer);
                result[o.Key[prefix.Length..]] = buffer.ToArray();
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (request.ContinuationToken is not null);
        return result;
    }

    private readonly TempDir _tls = new("lhb-s3rver-tls");

    private string WriteBeside(string name, string content)
    {
        string path = _tls.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private void Stop()
    {
        try
        {
            _process.StandardInput.Close();   // the launcher closes the server and exits
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        _data.Dispose();
        _tls.Dispose();
    }
}

/// <summary>s3rver as it is: a store whose PUT is not atomic (a PUT cut short leaves the part that arrived).</summary>
public sealed class NonAtomicS3Server : S3Server
{
    public NonAtomicS3Server() : base(null, null, atomicPut: false) { }
}

[CollectionDefinition("S3")]
public sealed class S3Collection : ICollectionFixture<S3Server>
{
}
