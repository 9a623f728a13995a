using LonghornBackup.Engine.Store.S3;
using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Bad input against S3 gets a clear error with the right ErrorId and a fix, and changes nothing: an unknown bucket,
/// wrong credentials, an unreachable endpoint, the wrong region, denied access.
/// </summary>
[Collection("S3")]
public sealed class S3BadInputTests(S3Server server)
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    private static string SmallImage(TargetHarness t) =>
        TestImages.Create(t.WorkFile("bad-input.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(61)), (B, TestImages.RandomBytes(62)));

    /// <summary>A loopback port nothing listens on.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task<List<string>> BucketsAsync()
    {
        using var client = server.RawClient();
        return (await client.ListBucketsAsync()).Buckets!.Select(b => b.BucketName).Order().ToList();
    }

    [Fact]
    public async Task An_unknown_bucket_is_BucketNotFound_and_no_bucket_is_created()
    {
        var buckets = await BucketsAsync();
        using var t = new S3Harness(server, url: S3Server.NewUrl("lhb-no-such-bucket"));
        var listing = await Assert.ThrowsAsync<LonghornBackupException>(() => t.Store.ListVolumeNamesAsync(None));
        Assert.Equal(ErrorIds.BucketNotFound, listing.ErrorId);
        Assert.Contains("'lhb-no-such-bucket' does not exist", listing.Message);
        Assert.Contains(server.Endpoint, listing.Message);
        Assert.Contains("bucket name", listing.RecommendedAction);

        var backup = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol", SmallImage(t)));
        Assert.Equal(ErrorIds.BucketNotFound, backup.ErrorId);
        Assert.Equal(buckets, await BucketsAsync());
    }

    [Fact]
    public async Task Wrong_credentials_are_InvalidCredentials_and_change_nothing()
    {
        using var t = new S3Harness(server);
        string image = SmallImage(t);
        await t.BackupAsync("vol", image, snapshot: "s1");
        var before = await t.ObjectsAsync();

        using var wrong = server.Open(t.Url, environment: server.Environment(accessKey: "AKIAWRONGKEY0000"));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol", image, snapshot: "s2", via: wrong));
        Assert.Equal(ErrorIds.InvalidCredentials, e.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, e.Kind);
        Assert.Contains("rejected the credentials from the environment variables AWS_ACCESS_KEY_ID (****0000)", e.Message);
        Assert.Contains("InvalidAccessKeyId", e.Message);
        Assert.Contains("-AccessKey", e.RecommendedAction);
        Assert.Equal(before, await t.ObjectsAsync());
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_BackupTargetUnreachable()
    {
        var url = S3Server.NewUrl();
        var definition = server.Definition(url).WithS3(new S3TargetSettings { EndpointUrl = $"http://127.0.0.1:{ClosedPort()}" });
        var env = server.Environment();
        using var store = Backupstore.Open(url, definition, new StoreOpenOptions { Environment = n => env.GetValueOrDefault(n), MaxErrorRetry = 1 });
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.ListVolumeNamesAsync(None));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("refused the connection", e.Message);
        Assert.Contains("is running and reachable", e.RecommendedAction);
    }

    private Backupstore Answering(TargetUrl url, HttpStatusCode status, string code, string extra = "") =>
        server.Open(url, maxErrorRetry: 0, wrap: inner => new FaultInjectingHandler(inner, (_, _) => S3Fault.Canned) { Canned = (status, code, "injected", extra) });

    [Fact]
    public async Task A_bucket_in_another_region_is_WrongRegion_naming_the_region_to_use()
    {
        var url = S3Server.NewUrl();
        using var store = Answering(url, HttpStatusCode.BadRequest, "AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.ListVolumeNamesAsync(None));
        Assert.Equal(ErrorIds.WrongRegion, e.ErrorId);
        Assert.Contains("not in region 'us-east-1' (from the target URL); S3 says it is in 'eu-west-1'", e.Message);
        Assert.Equal($"Put the bucket's region in the target URL: s3://{S3Server.Bucket}@eu-west-1/{url.S3().Prefix}/", e.RecommendedAction);

        using var redirect = Answering(url, HttpStatusCode.MovedPermanently, "PermanentRedirect");
        Assert.Equal(ErrorIds.WrongRegion, (await Assert.ThrowsAsync<LonghornBackupException>(() => redirect.ListVolumeNamesAsync(None))).ErrorId);
    }

    [Fact]
    public async Task Denied_access_is_AccessDenied_naming_the_permissions_needed()
    {
        var url = S3Server.NewUrl();
        using var store = Answering(url, HttpStatusCode.Forbidden, "AccessDenied");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.WriteAsync("backupstore/x.cfg", new byte[] { 1 }, None));
        Assert.Equal(ErrorIds.AccessDenied, e.ErrorId);
        Assert.Contains("Access was denied when trying to write 'backupstore/x.cfg'", e.Message);
        Assert.Contains("s3:PutObject", e.RecommendedAction);
    }
}
