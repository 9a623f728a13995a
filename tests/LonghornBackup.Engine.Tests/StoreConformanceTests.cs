using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The IObjectStore contract every driver must keep, so the engine's algorithms (written once over the interface)
/// behave the same on each: listing, nested prefixes, paging, byte-exact reads of what was written, whole-object
/// overwrites, sizes and times, missing keys, deletes. One subclass per driver runs the whole suite.
/// (Atomicity under concurrent writers is the file-system driver's own work, tested in FileSystemStoreTests; on S3
/// a PutObject is atomic by the service's contract.)
/// </summary>
public abstract class StoreConformanceTests : IDisposable
{
    protected static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A fresh, empty store for this test.</summary>
    protected abstract IObjectStore Store { get; }

    /// <summary>A store whose listings come in pages of <paramref name="pageSize"/> entries where the driver pages, over the same data.</summary>
    protected abstract IObjectStore Paged(int pageSize);

    public virtual void Dispose() => (Store as IDisposable)?.Dispose();

    private async Task<string[]> TreeAsync(string directory)
    {
        var keys = new List<string>();
        await foreach (var k in Store.ListTreeAsync(directory, None)) keys.Add(k.Key);
        return keys.Order(StringComparer.Ordinal).ToArray();
    }

    private Task Put(string key, string text) => Store.WriteAsync(key, Encoding.UTF8.GetBytes(text), None);

    [Fact]
    public async Task Listing_a_missing_folder_is_empty()
    {
        Assert.Empty(await Store.ListAsync("backupstore/volumes", None));
        Assert.Empty(await Store.ListAsync("", None));
        Assert.Empty(await TreeAsync("no/such/folder"));
    }

    [Fact]
    public async Task A_tree_listing_gives_each_objects_size_across_pages()
    {
        var sizes = new Dictionary<string, int> { ["s/empty.blk"] = 0, ["s/one.blk"] = 1, ["s/aa/bb/big.blk"] = 300_001, ["s/aa/cfg.cfg"] = 17 };
        foreach (var (key, size) in sizes) await Store.WriteAsync(key, new byte[size], None);

        var listed = new Dictionary<string, long>();
        await foreach (var o in Paged(1).ListTreeAsync("s", None)) listed.Add(o.Key, o.Size);

        Assert.Equal(sizes.ToDictionary(kv => kv.Key["s/".Length..], kv => (long)kv.Value).OrderBy(kv => kv.Key, StringComparer.Ordinal),
            listed.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Listing_shows_files_and_folders_sorted_with_names_relative_to_the_folder()
    {
        await Put("d/b.cfg", "b");
        await Put("d/a.cfg", "a");
        await Put("d/sub/c.blk", "c");
        await Put("d/sub/deeper/e.blk", "e");
        await Put("other/x.cfg", "x");

        Assert.Equal(new[] { new StoreEntry("a.cfg", false), new StoreEntry("b.cfg", false), new StoreEntry("sub", true) }, await Store.ListAsync("d", None));
        Assert.Equal(new[] { new StoreEntry("c.blk", false), new StoreEntry("deeper", true) }, await Store.ListAsync("d/sub", None));
        Assert.Equal(new[] { new StoreEntry("d", true), new StoreEntry("other", true) }, await Store.ListAsync("", None));
        Assert.Equal(new[] { "a.cfg", "b.cfg", "sub/c.blk", "sub/deeper/e.blk" }, await TreeAsync("d"));
        Assert.Equal(new[] { "d/a.cfg", "d/b.cfg", "d/sub/c.blk", "d/sub/deeper/e.blk", "other/x.cfg" }, await TreeAsync(""));
    }

    [Fact]
    public async Task A_folder_does_not_see_siblings_that_share_its_name_as_a_prefix()
    {
        // S3 has no folders, only key prefixes: "volumes/aa" must not list "volumes/aab/...".
        await Put("backupstore/volumes/aa/v/volume.cfg", "1");
        await Put("backupstore/volumes/aab/v/volume.cfg", "2");
        await Put("backupstore/volumes/aa.cfg", "3");

        Assert.Equal(new[] { new StoreEntry("v", true) }, await Store.ListAsync("backupstore/volumes/aa", None));
        Assert.Equal(new[] { "v/volume.cfg" }, await TreeAsync("backupstore/volumes/aa"));
        Assert.Equal(new[] { new StoreEntry("aa", true), new StoreEntry("aa.cfg", false), new StoreEntry("aab", true) },
            await Store.ListAsync("backupstore/volumes", None));
    }

    [Fact]
    public async Task Listings_with_more_entries_than_a_page_are_complete()
    {
        var names = Enumerable.Range(0, 7).Select(i => $"f{i}.cfg").ToArray();
        foreach (var n in names) await Put("p/" + n, n);
        await Put("p/dir1/x.blk", "x");
        await Put("p/dir2/y.blk", "y");
        var paged = Paged(2);

        var listed = await paged.ListAsync("p", None);
        Assert.Equal(names.Select(n => new StoreEntry(n, false)).Append(new StoreEntry("dir1", true)).Append(new StoreEntry("dir2", true))
            .OrderBy(e => e.Name, StringComparer.Ordinal), listed);
        var tree = new List<string>();
        await foreach (var k in paged.ListTreeAsync("p", None)) tree.Add(k.Key);
        Assert.Equal(names.Append("dir1/x.blk").Append("dir2/y.blk").Order(StringComparer.Ordinal), tree.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(2_097_171)]   // the block size from issue 3 that came back framed as aws-chunked (2 099 596 bytes)
    public async Task What_is_written_reads_back_byte_for_byte(int length)
    {
        byte[] data = TestImages.RandomBytes(length, length);
        await Store.WriteAsync("backupstore/volumes/7e/ed/pvc-1/blocks/aa/bb/obj.blk", data, None);

        byte[]? read = await Store.ReadAsync("backupstore/volumes/7e/ed/pvc-1/blocks/aa/bb/obj.blk", None);
        Assert.NotNull(read);
        Assert.Equal(length, read.Length);
        Assert.True(data.AsSpan().SequenceEqual(read), "content differs");
        Assert.Equal(length, (await Store.StatAsync("backupstore/volumes/7e/ed/pvc-1/blocks/aa/bb/obj.blk", None))!.Value.Size);
    }

    [Fact]
    public async Task Writing_a_slice_of_a_larger_buffer_stores_exactly_the_slice()
    {
        // The engine hands drivers ArrayBufferWriter.WrittenMemory: a slice at offset 0 of a larger array.
        byte[] buffer = TestImages.RandomBytes(7, 10_000);
        await Store.WriteAsync("k/slice.blk", buffer.AsMemory(0, 6_000), None);
        await Store.WriteAsync("k/middle.blk", buffer.AsMemory(100, 50), None);
        Assert.Equal(buffer[..6_000], await Store.ReadAsync("k/slice.blk", None));
        Assert.Equal(buffer[100..150], await Store.ReadAsync("k/middle.blk", None));
    }

    [Fact]
    public async Task Overwriting_replaces_the_whole_object()
    {
        await Store.WriteAsync("backupstore/volumes/7e/ed/pvc-1/volume.cfg", TestImages.RandomBytes(1, 5000), None);
        await Put("backupstore/volumes/7e/ed/pvc-1/volume.cfg", "second");

        Assert.Equal("second", Encoding.UTF8.GetString((await Store.ReadAsync("backupstore/volumes/7e/ed/pvc-1/volume.cfg", None))!));
        Assert.Equal(6, (await Store.StatAsync("backupstore/volumes/7e/ed/pvc-1/volume.cfg", None))!.Value.Size);
        Assert.Equal(new[] { "volume.cfg" }, await TreeAsync("backupstore/volumes/7e/ed/pvc-1"));
    }

    [Fact]
    public async Task Missing_keys_read_and_stat_as_null()
    {
        Assert.Null(await Store.ReadAsync("a/missing.cfg", None));
        Assert.Null(await Store.StatAsync("a/missing.cfg", None));
        await Put("a/present.cfg", "x");
        Assert.Null(await Store.ReadAsync("a/missing.cfg", None));
        Assert.Null(await Store.ReadAsync("a", None));                 // a folder is not an object
        Assert.Null(await Store.StatAsync("a/present.cfg/x", None));
    }

    [Fact]
    public async Task Stat_reports_the_size_and_the_time_of_the_last_write()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        await Store.WriteAsync("a/x.cfg", new byte[12345], None);
        var info = await Store.StatAsync("a/x.cfg", None);
        Assert.NotNull(info);
        Assert.Equal(12345, info.Value.Size);
        Assert.InRange(info.Value.LastModified, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(TimeSpan.Zero, info.Value.LastModified.Offset);
    }

    [Fact]
    public async Task Delete_removes_one_object_and_a_missing_one_is_no_error()
    {
        await Put("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", "l");
        await Put("backupstore/volumes/aa/bb/v1/volume.cfg", "v");

        await Store.DeleteAsync("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", None);
        Assert.Null(await Store.ReadAsync("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", None));
        Assert.Equal(new[] { new StoreEntry("volume.cfg", false) }, await Store.ListAsync("backupstore/volumes/aa/bb/v1", None));

        await Store.DeleteAsync("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", None);
        await Store.DeleteAsync("nowhere/at/all.cfg", None);
        Assert.Equal(new[] { "backupstore/volumes/aa/bb/v1/volume.cfg" }, await TreeAsync(""));
    }

    [Fact]
    public async Task DeleteTree_removes_everything_below_a_folder_and_nothing_else()
    {
        await Put("backupstore/volumes/aa/bb/v1/blocks/00/11/a.blk", "a");
        await Put("backupstore/volumes/aa/bb/v1/blocks/22/33/b.blk", "b");
        await Put("backupstore/volumes/aa/bb/v1/volume.cfg", "v");
        await Put("backupstore/volumes/aa/bb/v10/volume.cfg", "w");
        await Put("backupstore/volumes/cc/dd/v2/volume.cfg", "x");

        await Store.DeleteTreeAsync("backupstore/volumes/aa/bb/v1/blocks", None);
        Assert.Equal(new[] { "backupstore/volumes/aa/bb/v1/volume.cfg", "backupstore/volumes/aa/bb/v10/volume.cfg", "backupstore/volumes/cc/dd/v2/volume.cfg" }, await TreeAsync(""));

        await Store.DeleteTreeAsync("backupstore/volumes/aa/bb/v1", None);
        Assert.Equal(new[] { "backupstore/volumes/aa/bb/v10/volume.cfg", "backupstore/volumes/cc/dd/v2/volume.cfg" }, await TreeAsync(""));
        await Store.DeleteTreeAsync("backupstore/volumes/zz", None);      // missing: fine
    }

    [Fact]
    public async Task DeleteTree_removes_only_the_formats_own_files()
    {
        await Put("backupstore/volumes/aa/bb/v1/blocks/00/11/a.blk", "a");
        await Put("backupstore/volumes/aa/bb/v1/backups/backup_b.cfg", "b");
        await Put("backupstore/volumes/aa/bb/v1/backups/backup_c.cfg.tmp.12345", "c");
        await Put("backupstore/volumes/aa/bb/v1/locks/lock-1.lck", "l");
        await Put("backupstore/volumes/aa/bb/v1/precious.txt", "p");
        await Put("backupstore/volumes/aa/bb/v1/blocks/00/notes.md", "n");

        await Store.DeleteTreeAsync("backupstore/volumes/aa/bb/v1", None);

        Assert.Equal(new[] { "backupstore/volumes/aa/bb/v1/blocks/00/notes.md", "backupstore/volumes/aa/bb/v1/precious.txt" }, await TreeAsync(""));
    }

    [Fact]
    public async Task An_object_reads_whole_into_a_buffer_it_fits_and_only_its_length_is_told_when_it_does_not()
    {
        var data = new byte[300_001];
        new Random(7).NextBytes(data);
        await Store.WriteAsync("b/blocks/x.blk", data, None);

        var roomy = new byte[data.Length + 4096];
        Assert.Equal(data.Length, await Store.ReadIntoAsync("b/blocks/x.blk", roomy, None));
        Assert.Equal(data, roomy.AsSpan(0, data.Length).ToArray());
        var exact = new byte[data.Length];
        Assert.Equal(data.Length, await Store.ReadIntoAsync("b/blocks/x.blk", exact, None));
        Assert.Equal(data, exact);

        Assert.True(await Store.ReadIntoAsync("b/blocks/x.blk", new byte[data.Length - 1], None) > data.Length - 1);
        Assert.Equal(-1, await Store.ReadIntoAsync("b/blocks/none.blk", roomy, None));
        Assert.Equal(-1, await Store.ReadIntoAsync("no/such/folder/none.blk", roomy, None));

        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        Assert.True(await Store.ReadToAsync("b/blocks/x.blk", writer, None));
        Assert.Equal(data, writer.WrittenSpan.ToArray());
        Assert.False(await Store.ReadToAsync("b/blocks/none.blk", writer, None));
    }

    [Theory]
    [InlineData("../outside.cfg")]
    [InlineData("backupstore/../../outside.cfg")]
    [InlineData("backupstore/./x.cfg")]
    [InlineData("backupstore//x.cfg")]
    [InlineData("/abs.cfg")]
    [InlineData("backupstore\\..\\x.cfg")]
    public async Task Keys_with_dot_segments_or_backslashes_are_rejected_and_nothing_is_written(string key)
    {
        async Task Rejected(Func<Task> op)
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(op);
            Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
        }

        await Rejected(() => Store.WriteAsync(key, new byte[] { 1 }, None));
        await Rejected(() => Store.ReadAsync(key, None));
        await Rejected(() => Store.ReadIntoAsync(key, new byte[16], None));
        await Rejected(() => Store.StatAsync(key, None));
        await Rejected(() => Store.DeleteAsync(key, None));
        await Rejected(() => Store.DeleteTreeAsync(key, None));
        await Rejected(() => Store.ListAsync(key, None));
        await Rejected(async () => { await foreach (var _ in Store.ListTreeAsync(key, None)) { } });
        Assert.Empty(await TreeAsync(""));
    }
}

/// <summary>The conformance suite on the file-system driver.</summary>
public sealed class FileSystemStoreConformanceTests : StoreConformanceTests
{
    private readonly TempDir _dir = new();
    private readonly FileSystemStore _store;

    public FileSystemStoreConformanceTests() => _store = new FileSystemStore(_dir.Sub("root"));

    protected override IObjectStore Store => _store;
    protected override IObjectStore Paged(int pageSize) => _store;   // directory listings are not paged

    public override void Dispose() => _dir.Dispose();
}

/// <summary>The conformance suite on the S3 driver against s3rver on loopback, each test in a fresh key prefix.</summary>
[Collection("S3")]
public sealed class S3StoreConformanceTests : StoreConformanceTests
{
    private readonly S3Server _server;
    private readonly Store.TargetUrl _url = S3Server.NewUrl();
    private readonly Catalog.Backupstore _opened;
    private readonly List<IDisposable> _others = new();

    public S3StoreConformanceTests(S3Server server)
    {
        _server = server;
        _opened = server.Open(_url);
    }

    protected override IObjectStore Store => _opened.Store;

    protected override IObjectStore Paged(int pageSize)
    {
        var paged = _server.Open(_url, listPageSize: pageSize);
        _others.Add(paged);
        return paged.Store;
    }

    public override void Dispose()
    {
        _opened.Dispose();
        foreach (var o in _others) o.Dispose();
    }
}
