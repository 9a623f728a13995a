using LonghornBackup.Engine.Store.S3;
using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>Test-LhBackupTarget's engine: what it checks, what it reports, and that it leaves nothing behind.</summary>
[Collection("S3")]
public sealed class TargetProbeTests(S3Server server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    private StoreOpenOptions Options(Func<HttpMessageHandler, HttpMessageHandler>? wrap = null, int? retries = null)
    {
        var env = server.Environment();
        return new StoreOpenOptions { Environment = n => env.GetValueOrDefault(n), WrapHttpHandler = wrap, MaxErrorRetry = retries };
    }

    [Fact]
    public async Task A_healthy_S3_target_passes_every_check_and_keeps_no_probe()
    {
        var url = S3Server.NewUrl();
        var result = await TargetProbe.TestAsync(server.Definition(url), Options(), write: true, None);
        Assert.True(result.Available);
        Assert.Null(result.Problem);
        Assert.Equal(new[] { "Settings", "List", "Write", "Read", "Delete" }, result.Checks.Select(c => c.Name));
        Assert.All(result.Checks, c => Assert.True(c.Passed, c.Message));
        Assert.Contains(result.Checks, c => c.Message.Contains("backupstore/lhbackup-probe-"));
        Assert.Empty(await server.ReadAllAsync(url));
    }

    [Fact]
    public async Task A_store_that_alters_uploads_fails_the_read_check_and_the_probe_is_still_deleted()
    {
        var url = S3Server.NewUrl();
        var result = await TargetProbe.TestAsync(server.Definition(url),
            Options(inner => new FaultInjectingHandler(inner, (_, r) => r.Method == HttpMethod.Put ? S3Fault.AlterUpload : S3Fault.None)), write: true, None);
        Assert.False(result.Available);
        Assert.Equal(ErrorIds.StoreReadFailed, result.Problem!.ErrorId);
        Assert.Matches(@"changed the bytes written: a 16384-byte probe came back as 164\d\d bytes\.", result.Problem.Message);
        Assert.Contains("aws-chunked", result.Problem.RecommendedAction);
        Assert.True(result.Checks.Single(c => c.Name == "Delete").Passed);
        Assert.Empty(await server.ReadAllAsync(url));
    }

    [Fact]
    public async Task Listing_problems_stop_the_test_before_anything_is_written()
    {
        var url = S3Server.NewUrl("lhb-missing-bucket");
        var result = await TargetProbe.TestAsync(server.Definition(url), Options(), write: true, None);
        Assert.Equal(ErrorIds.BucketNotFound, result.Problem!.ErrorId);
        Assert.Equal(new[] { ("Settings", true), ("List", false) }, result.Checks.Select(c => (c.Name, c.Passed)));
    }

    [Fact]
    public async Task Without_write_only_settings_and_listing_are_checked()
    {
        var url = S3Server.NewUrl();
        int puts = 0;
        var result = await TargetProbe.TestAsync(server.Definition(url),
            Options(inner => new FaultInjectingHandler(inner, (_, r) => { if (r.Method == HttpMethod.Put) puts++; return S3Fault.None; })), write: false, None);
        Assert.True(result.Available);
        Assert.Equal(new[] { "Settings", "List" }, result.Checks.Select(c => c.Name));
        Assert.Equal(0, puts);
    }

    [Fact]
    public async Task A_missing_profile_fails_the_settings_check_with_CredentialsNotFound()
    {
        var url = S3Server.NewUrl();
        var definition = server.Definition(url).WithS3(
            new S3TargetSettings { EndpointUrl = server.Endpoint, CredentialSource = CredentialSource.Profile, ProfileName = "nobody", ProfileLocation = Path.Combine(Path.GetTempPath(), $"lhb-none-{Guid.NewGuid():N}") });
        var result = await TargetProbe.TestAsync(definition, Options(), write: true, None);
        Assert.Equal(ErrorIds.CredentialsNotFound, result.Problem!.ErrorId);
        Assert.Equal(("Settings", false), (result.Checks.Single().Name, result.Checks.Single().Passed));
    }

    [Fact]
    public async Task Availability_is_one_quick_listing_for_S3_and_the_folder_for_file_system_targets()
    {
        var url = S3Server.NewUrl();
        int requests = 0;
        var counting = Options(inner => new FaultInjectingHandler(inner, (_, _) => { Interlocked.Increment(ref requests); return S3Fault.None; }));
        Assert.True(await TargetProbe.IsAvailableAsync(server.Definition(url), TimeSpan.FromSeconds(5), counting, None));
        Assert.Equal(1, requests);
        var failing = Options(inner => new FaultInjectingHandler(inner, (_, _) => { Interlocked.Increment(ref requests); return S3Fault.SlowDown503; }));
        Assert.False(await TargetProbe.IsAvailableAsync(server.Definition(url), TimeSpan.FromSeconds(5), failing, None));
        Assert.Equal(2, requests);                                             // no retries: Get-LhBackupTarget stays fast

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var down = server.Definition(url).WithS3(new S3TargetSettings { EndpointUrl = $"http://127.0.0.1:{closed}" });
        Assert.False(await TargetProbe.IsAvailableAsync(down, TimeSpan.FromSeconds(2), Options(), None));

        using var dir = new TempDir();
        Assert.True(await TargetProbe.IsAvailableAsync(new BackupTargetDefinition("fs", dir.Path, DateTimeOffset.UtcNow), TimeSpan.FromSeconds(2), null, None));
        Assert.False(await TargetProbe.IsAvailableAsync(new BackupTargetDefinition("fs", Path.Combine(dir.Path, "missing"), DateTimeOffset.UtcNow), TimeSpan.FromSeconds(2), null, None));
        var fsResult = await TargetProbe.TestAsync(new BackupTargetDefinition("fs", Path.Combine(dir.Path, "missing"), DateTimeOffset.UtcNow), StoreOpenOptions.Default, true, None);
        Assert.Equal(ErrorIds.BackupTargetUnreachable, fsResult.Problem!.ErrorId);
        var healthy = await TargetProbe.TestAsync(new BackupTargetDefinition("fs", dir.Path, DateTimeOffset.UtcNow), StoreOpenOptions.Default, true, None);
        Assert.True(healthy.Available);
        Assert.Empty(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
    }
}
