using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>The file-system driver: the IObjectStore contract (listing, atomic writes, reads, stat, deletes, key safety).</summary>
public class FileSystemStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static string[] AllFiles(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order().ToArray();

    [Fact]
    public async Task Listing_a_missing_folder_is_empty()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        Assert.Empty(await store.ListAsync("backupstore/volumes", None));
        Assert.Empty(await store.ListAsync("no/such/folder", None));
        await foreach (var _ in store.ListTreeAsync("no/such/folder", None)) Assert.Fail("expected nothing");
    }

    [Fact]
    public async Task Listing_shows_files_and_folders_sorted()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        await store.WriteAsync("d/b.cfg", Encoding.UTF8.GetBytes("b"), None);
        await store.WriteAsync("d/a.cfg", Encoding.UTF8.GetBytes("a"), None);
        await store.WriteAsync("d/sub/c.blk", Encoding.UTF8.GetBytes("c"), None);

        var entries = await store.ListAsync("d", None);
        Assert.Equal(new[] { new StoreEntry("a.cfg", false), new StoreEntry("b.cfg", false), new StoreEntry("sub", true) }, entries);

        var tree = new List<string>();
        await foreach (var k in store.ListTreeAsync("d", None)) tree.Add(k.Key);
        Assert.Equal(new[] { "a.cfg", "b.cfg", "sub/c.blk" }, tree.Order());
    }

    [Fact]
    public async Task Write_creates_folders_replaces_content_and_leaves_no_temp_files()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        await store.WriteAsync("backupstore/volumes/7e/ed/pvc-1/volume.cfg", Encoding.UTF8.GetBytes("first"), None);
        await store.WriteAsync("backupstore/volumes/7e/ed/pvc-1/volume.cfg", Encoding.UTF8.GetBytes("second"), None);
        await store.WriteAsync("backupstore/volumes/7e/ed/pvc-1/blocks/aa/bb/x.blk", new byte[1000], None);

        Assert.Equal("second", File.ReadAllText(Path.Combine(dir.Path, "backupstore/volumes/7e/ed/pvc-1/volume.cfg")));
        Assert.Equal(new[] { "backupstore/volumes/7e/ed/pvc-1/blocks/aa/bb/x.blk", "backupstore/volumes/7e/ed/pvc-1/volume.cfg" }, AllFiles(dir.Path));
    }

    [Fact]
    public async Task Concurrent_writes_of_one_key_are_atomic()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        var payloads = Enumerable.Range(0, 8).Select(i => TestImages.RandomBytes(i, 256 * 1024)).ToArray();
        await store.WriteAsync("k/obj.blk", payloads[0], None);

        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            int reads = 0;
            while (!stop.IsCancellationRequested || reads < 20)
            {
                var seen = await store.ReadAsync("k/obj.blk", None);
                Assert.NotNull(seen);
                Assert.Contains(payloads, p => p.AsSpan().SequenceEqual(seen));   // never a mix or a part
                reads++;
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => store.WriteAsync("k/obj.blk", payloads[i % 8], None))));
        stop.Cancel();
        await reader;

        Assert.Equal(new[] { "k/obj.blk" }, AllFiles(dir.Path));              // no *.tmp.* left
        var final = await store.ReadAsync("k/obj.blk", None);
        Assert.Contains(payloads, p => p.AsSpan().SequenceEqual(final));
    }

    [Fact]
    public async Task Read_returns_content_or_null_when_missing()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        Assert.Null(await store.ReadAsync("a/missing.cfg", None));
        Assert.Null(await store.ReadAsync("missing-folder/x/y.blk", None));
        await store.WriteAsync("a/x.cfg", new byte[] { 1, 2, 3 }, None);
        Assert.Equal(new byte[] { 1, 2, 3 }, await store.ReadAsync("a/x.cfg", None));
    }

    [Fact]
    public async Task Stat_reports_size_and_time_or_null()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        Assert.Null(await store.StatAsync("a/x.cfg", None));
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await store.WriteAsync("a/x.cfg", new byte[12345], None);
        var info = await store.StatAsync("a/x.cfg", None);
        Assert.NotNull(info);
        Assert.Equal(12345, info.Value.Size);
        Assert.InRange(info.Value.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task Delete_removes_the_file_and_empty_parents_but_keeps_backupstore()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        await store.WriteAsync("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", new byte[1], None);
        await store.WriteAsync("backupstore/volumes/aa/bb/v1/volume.cfg", new byte[1], None);

        await store.DeleteAsync("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", None);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "backupstore/volumes/aa/bb/v1/locks")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "backupstore/volumes/aa/bb/v1/volume.cfg")));

        await store.DeleteAsync("backupstore/volumes/aa/bb/v1/volume.cfg", None);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "backupstore/volumes")));
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "backupstore")));

        // Deleting something missing is not an error.
        await store.DeleteAsync("backupstore/volumes/aa/bb/v1/volume.cfg", None);
        await store.DeleteAsync("nowhere/at/all.cfg", None);
    }

    [Fact]
    public async Task DeleteTree_removes_everything_below_a_folder_only()
    {
        using var dir = new TempDir();
        var store = new FileSystemStore(dir.Path);
        await store.WriteAsync("backupstore/volumes/aa/bb/v1/blocks/00/11/a.blk", new byte[1], None);
        await store.WriteAsync("backupstore/volumes/aa/bb/v1/blocks/22/33/b.blk", new byte[1], None);
        await store.WriteAsync("backupstore/volumes/aa/bb/v1/volume.cfg", new byte[1], None);
        await store.WriteAsync("backupstore/volumes/cc/dd/v2/volume.cfg", new byte[1], None);

        await store.DeleteTreeAsync("backupstore/volumes/aa/bb/v1/blocks", None);
        Assert.Equal(new[] { "backupstore/volumes/aa/bb/v1/volume.cfg", "backupstore/volumes/cc/dd/v2/volume.cfg" }, AllFiles(dir.Path));

        await store.DeleteTreeAsync("backupstore/volumes/aa/bb/v1", None);
        Assert.Equal(new[] { "backupstore/volumes/cc/dd/v2/volume.cfg" }, AllFiles(dir.Path));
        await store.DeleteTreeAsync("backupstore/volumes/zz", None);      // missing: fine
    }

    [Theory]
    [InlineData("../outside.cfg")]
    [InlineData("backupstore/../../outside.cfg")]
    [InlineData("backupstore/./x.cfg")]
    [InlineData("backupstore//x.cfg")]
    [InlineData("/abs.cfg")]
    [InlineData("backupstore\\..\\x.cfg")]
    [InlineData("..")]
    public async Task Keys_with_dot_segments_or_backslashes_are_rejected(string key)
    {
        using var dir = new TempDir();
        string root = Path.Combine(dir.Path, "root");
        Directory.CreateDirectory(root);
        var store = new FileSystemStore(root);

        async Task Rejected(Func<Task> op)
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(op);
            Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
        }

        await Rejected(() => store.WriteAsync(key, new byte[] { 1 }, None));
        await Rejected(() => store.ReadAsync(key, None));
        await Rejected(() => store.StatAsync(key, None));
        await Rejected(() => store.DeleteAsync(key, None));
        await Rejected(() => store.DeleteTreeAsync(key, None));
        await Rejected(() => store.ListAsync(key, None));
        await Rejected(async () => { await foreach (var _ in store.ListTreeAsync(key, None)) { } });
        Assert.Equal(new[] { "root" }, Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }
}
