using System.Collections.Concurrent;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>The requests a backup to Azure Blob makes: one Put Blob per new block and no HEAD for any block.</summary>
[Collection("AzureBlob")]
public sealed class AzureBlobRequestTests(AzuriteServer server) : IDisposable
{
    private readonly TempDir _work = new("lhb-az-requests");

    /// <summary>Notes each request's method and path, then passes it on.</summary>
    private sealed class Recorder(HttpMessageHandler inner, ConcurrentQueue<(string Method, string Path)> seen) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            seen.Enqueue((request.Method.Method, request.RequestUri!.AbsolutePath));
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_backup_puts_each_new_block_once_with_no_HEAD_for_any_block()
    {
        var seen = new ConcurrentQueue<(string Method, string Path)>();
        var url = AzuriteServer.NewUrl();
        string image = TestImages.Create(_work.File("vol.img"), 8 << 20,
            (0, TestImages.RandomBytes(1, 2 << 20)), (4 << 20, TestImages.RandomBytes(2, 2 << 20)));
        using var store = server.Open(url, wrap: inner => new Recorder(inner, seen));
        using (var source = Blocks.RawImageSource.Open(image))
            await new Backup.BackupEngine(store).RunAsync(new Backup.BackupRequest { VolumeName = "vol-req", SnapshotName = "s1", Source = source }, null, CancellationToken.None);

        // The engine checks its lock and backup cfg (as on every driver); blocks are written blind.
        Assert.DoesNotContain(seen, r => r.Method == "HEAD" && r.Path.EndsWith(".blk", StringComparison.Ordinal));
        var blockPuts = seen.Where(r => r.Method == "PUT" && r.Path.EndsWith(".blk", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, blockPuts.Count);
        Assert.Equal(2, blockPuts.Select(r => r.Path).Distinct().Count());
        Assert.All(blockPuts, r => Assert.Contains("/backupstore/volumes/", r.Path));
    }

    public void Dispose() => _work.Dispose();
}
