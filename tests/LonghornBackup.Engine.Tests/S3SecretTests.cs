using LonghornBackup.Engine.Store.S3;
using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A canary secret key (and proxy password) used for real work and for every kind of failure never shows up in a
/// diagnostic line, an error message, a recommended action, an error's target or an exception's full text.
/// </summary>
[Collection("S3")]
public sealed class S3SecretTests(S3Server server)
{
    private const string Canary = "CANARYxSECRETx9b4e7f01";
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task The_secret_key_appears_in_no_diagnostic_or_error()
    {
        var seen = new List<string>();
        var env = server.Environment(secretKey: Canary);
        env["NO_PROXY"] = "127.0.0.1";
        env["HTTP_PROXY"] = $"http://proxyuser:{Canary}@proxy.invalid:3128";

        Backupstore Open(TargetUrl url, string? endpoint = null, string? accessKey = null, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
        {
            var e = new Dictionary<string, string>(env);
            if (accessKey is not null) e["AWS_ACCESS_KEY_ID"] = accessKey;
            return Backupstore.Open(url, server.Definition(url).WithS3(new S3TargetSettings { EndpointUrl = endpoint ?? server.Endpoint }),
                new StoreOpenOptions { Environment = n => e.GetValueOrDefault(n), Diagnostics = seen.Add, MaxErrorRetry = 0, WrapHttpHandler = wrap });
        }

        async Task Fails(Func<Task> action)
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(action);
            seen.Add(e.ToString());
            seen.Add(e.Message + e.RecommendedAction + e.TargetObject + e.ErrorId);
        }

        // Work that succeeds, with its diagnostics.
        using var t = new S3Harness(server, Open(S3Server.NewUrl()));
        string image = TestImages.Create(t.WorkFile("canary.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(5)));
        var r = await t.BackupAsync("vol-canary", image);
        await t.RestoreToNewFileAsync("vol-canary", r.Backup.Name);
        var probe = await TargetProbe.TestAsync(server.Definition(t.Url).WithS3(new S3TargetSettings { EndpointUrl = server.Endpoint }),
            new StoreOpenOptions { Environment = n => env.GetValueOrDefault(n), Diagnostics = seen.Add }, true, None);
        Assert.True(probe.Available);
        seen.AddRange(probe.Checks.Select(c => c.Message));

        // Every kind of failure.
        using (var missing = Open(S3Server.NewUrl("lhb-canary-missing"))) await Fails(() => missing.ListVolumeNamesAsync(None));
        using (var wrongKey = Open(t.Url, accessKey: "AKIACANARYWRONG")) await Fails(() => wrongKey.ListVolumeNamesAsync(None));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using (var down = Open(t.Url, endpoint: $"http://127.0.0.1:{closed}")) await Fails(() => down.ListVolumeNamesAsync(None));
        foreach (var (status, code) in new[] { (HttpStatusCode.Forbidden, "AccessDenied"), (HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (HttpStatusCode.MovedPermanently, "PermanentRedirect"), (HttpStatusCode.InternalServerError, "InternalError") })
        {
            using var canned = Open(t.Url, wrap: inner => new FaultInjectingHandler(inner, (_, _) => S3Fault.Canned) { Canned = (status, code, "injected", "") });
            await Fails(() => canned.Store.WriteAsync("backupstore/x.cfg", new byte[] { 1 }, None));
        }
        await Fails(() => Task.FromResult(TargetUrl.Parse($"s3://AKIAX:{Canary}@bucket/p/")));

        Assert.True(seen.Count > 15);
        Assert.Contains(seen, l => l.StartsWith("S3 credentials: from the environment variables", StringComparison.Ordinal));
        Assert.Contains(seen, l => l.Contains("proxy.invalid:3128"));          // the proxy is described, without its password
        Assert.DoesNotContain(seen, l => l.Contains(Canary, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_target_whose_keys_and_endpoint_are_in_a_Secret_manifest_works_and_shows_no_value()
    {
        using var dir = new TempDir("lhb-secret-target");
        string file = dir.File("minio-secret.yaml");
        File.WriteAllText(file,
            $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: minio-secret\nstringData:\n  AWS_ACCESS_KEY_ID: {S3Server.AccessKey}\n" +
            $"  AWS_SECRET_ACCESS_KEY: {Canary}\n  AWS_ENDPOINTS: {server.Endpoint}\n");
        var url = S3Server.NewUrl();
        var target = new BackupTargetDefinition("from-secret", url.Canonical, DateTimeOffset.UtcNow)
            .WithS3(new S3TargetSettings { CredentialSource = CredentialSource.Secret, CredentialSecret = new CredentialSecretReference("minio-secret", file) });
        var seen = new List<string>();
        // Nothing from the environment: the Secret alone gives keys and endpoint.
        var options = new StoreOpenOptions { Environment = _ => null, Diagnostics = seen.Add, MaxErrorRetry = 0 };

        using (var t = new S3Harness(server, Backupstore.Open(target, options), url))
        {
            string image = TestImages.Create(t.WorkFile("secret.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(6)));
            var r = await t.BackupAsync("vol-secret", image);
            Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(await t.RestoreToNewFileAsync("vol-secret", r.Backup.Name)));
        }
        var probe = await TargetProbe.TestAsync(target, options, true, None);
        Assert.True(probe.Available, probe.Problem?.Message);
        Assert.Contains($"S3 credentials: from the Secret 'minio-secret' in file '{file}' (AWS_ACCESS_KEY_ID ****SKEY, AWS_SECRET_ACCESS_KEY).", seen);
        Assert.Contains($"S3 endpoint: {server.Endpoint}/ (from AWS_ENDPOINTS of the Secret 'minio-secret' in file '{file}').", seen);

        // The Secret is renamed after the target was set: the next use fails at once, saying which file and Secret.
        File.WriteAllText(file, File.ReadAllText(file).Replace("name: minio-secret", "name: renamed"));
        var failed = await TargetProbe.TestAsync(target, options, true, None);
        Assert.Equal(ErrorIds.CredentialsNotFound, failed.Problem!.ErrorId);
        Assert.Equal(new[] { "Settings" }, failed.Checks.Select(c => c.Name));
        Assert.Contains($"'{file}'", failed.Problem.Message);
        seen.AddRange(probe.Checks.Concat(failed.Checks).Select(c => c.Message));
        seen.Add(failed.Problem.ToString());
        Assert.DoesNotContain(seen, l => l.Contains(Canary, StringComparison.Ordinal));
    }
}
