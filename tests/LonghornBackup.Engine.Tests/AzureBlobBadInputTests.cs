using System.Net;
using System.Net.Sockets;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.AzureBlob;

namespace LonghornBackup.Engine.Tests;

/// <summary>What a user gets from a wrong Azure Blob setup: a clear error for each mistake, and no secret in it.</summary>
[Collection("AzureBlob")]
public sealed class AzureBlobBadInputTests(AzuriteServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<LonghornBackupException> ListFails(Catalog.Backupstore store)
    {
        using (store) return await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.ListAsync(StorePaths.Base, None));
    }

    [Fact]
    public async Task A_missing_container_is_BucketNotFound_and_is_not_created()
    {
        var url = AzuriteServer.NewUrl("no-such-container");
        var e = await ListFails(server.Open(url, maxErrorRetry: 0));
        Assert.Equal(ErrorIds.BucketNotFound, e.ErrorId);
        Assert.Contains("no-such-container", e.Message);
        Assert.False((await server.RawContainer("no-such-container").ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_wrong_key_is_InvalidCredentials_and_the_key_is_not_shown()
    {
        string wrong = Convert.ToBase64String(new byte[64]);
        var e = await ListFails(server.Open(AzuriteServer.NewUrl(), maxErrorRetry: 0, environment: server.Environment(key: wrong)));
        Assert.Equal(ErrorIds.InvalidCredentials, e.ErrorId);
        Assert.DoesNotContain(wrong, e.Message + e.RecommendedAction);
        Assert.DoesNotContain(AzuriteServer.Key, e.Message + e.RecommendedAction);
    }

    [Fact]
    public async Task A_wrong_account_fails_with_a_clear_error_naming_it()
    {
        var e = await ListFails(server.Open(AzuriteServer.NewUrl(), maxErrorRetry: 0, environment: server.Environment(account: "nosuchaccount")));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.InvalidCredentials, ErrorIds.BucketNotFound });
        Assert.Contains("nosuchaccount", e.Message);
    }

    [Fact]
    public async Task An_endpoint_where_nothing_listens_is_BackupTargetUnreachable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var url = AzuriteServer.NewUrl();
        var definition = new Targets.BackupTargetDefinition("dead", url.Canonical, DateTimeOffset.UtcNow)
            .WithSettings(AzureBlobDriver.KindName, new AzureBlobTargetSettings { EndpointUrl = $"http://127.0.0.1:{closed}" });
        var e = await ListFails(server.Open(url, maxErrorRetry: 0, definition: definition));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Contains($"127.0.0.1:{closed}", e.Message);
    }

    [Theory]
    [InlineData(AzureBlobKeys.AccountKey)]
    [InlineData(AzureBlobKeys.AccountName)]
    public void Half_a_key_pair_in_the_environment_is_refused_before_any_request(string only)
    {
        var env = new Dictionary<string, string> { [only] = only == AzureBlobKeys.AccountKey ? AzuriteServer.Key : AzuriteServer.Account };
        var url = AzuriteServer.NewUrl();
        if (only == AzureBlobKeys.AccountKey)
        {
            var e = Assert.Throws<LonghornBackupException>(() => server.Open(url, environment: env));
            Assert.Equal(ErrorIds.CredentialsNotFound, e.ErrorId);
            Assert.DoesNotContain(AzuriteServer.Key, e.Message + e.RecommendedAction);
        }
        else
        {
            // An account without a key is the identity form (DefaultAzureCredential), which Azure allows over https only.
            var e = Assert.Throws<LonghornBackupException>(() => server.Open(url, environment: env));
            Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
            Assert.Contains("DefaultAzureCredential", e.Message);
            Assert.Contains("https", e.Message);
        }
    }

    [Fact]
    public async Task A_sas_token_from_the_environment_is_used_and_never_shown()
    {
        var container = server.RawContainer();
        var sas = container.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1)).Query;
        var lines = new List<string>();
        var url = AzuriteServer.NewUrl();
        using var store = server.Open(url, diagnostics: lines.Add,
            environment: new Dictionary<string, string> { [AzureBlobKeys.AccountName] = AzuriteServer.Account, [AzureBlobKeys.SasToken] = sas });
        await store.Store.WriteAsync("backupstore/x.cfg", new byte[] { 1, 2, 3 }, None);
        Assert.Equal(new byte[] { 1, 2, 3 }, await store.Store.ReadAsync("backupstore/x.cfg", None));
        Assert.Contains(lines, l => l.Contains("SAS token", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("sig=", StringComparison.Ordinal));
    }
}
