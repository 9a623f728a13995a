using System.Net;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The block reader behind an NBD export: the image's bytes at any offset, holes without I/O, a corrupt block failing
/// exactly the reads that touch it (named once), and a cache that stays within its size however much is read.
/// </summary>
public class ExportReaderTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-x";

    /// <summary>An image of 8 blocks: random data in blocks 0 and 1, compressible data in block 3, holes elsewhere.</summary>
    private static async Task<(TestStore T, string Image, RestoreSource Source)> Backup()
    {
        var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 8L * B,
            (0, TestImages.RandomBytes(1)), (1L * B, TestImages.RandomBytes(2)), (3L * B, TestImages.CompressibleBytes(3)));
        var result = await t.BackupAsync(V, image);
        var source = await RestoreSource.LoadAsync(t.Store, V, result.Backup.Name, false, "", "", CancellationToken.None);
        return (t, image, source);
    }

    /// <summary>A backup of an image whose <paramref name="blocks"/> blocks all hold random data.</summary>
    private static async Task<(TestStore, string Image, RestoreSource)> BackupOfDataBlocks(int blocks, int seed)
    {
        var t = new TestStore();
        var writes = Enumerable.Range(0, blocks).Select(i => ((long)i * B, TestImages.RandomBytes(seed + i))).ToArray();
        string image = TestImages.Create(t.WorkFile("data.img"), blocks * B, writes);
        var name = (await t.BackupAsync(V, image)).Backup.Name;
        return (t, image, await RestoreSource.LoadAsync(t.Store, V, name, false, "", "", CancellationToken.None));
    }

    private static byte[] Bytes(BlockReadLease lease) => lease.Segments.SelectMany(s => s).ToArray();

    private static byte[] ImageBytes(string image, long offset, int length)
    {
        using var fs = File.OpenRead(image);
        fs.Position = offset;
        var buffer = new byte[length];
        fs.ReadExactly(buffer);
        return buffer;
    }

    [Fact]
    public async Task Reads_return_the_image_bytes_across_blocks_and_holes()
    {
        var (t, image, source) = await Backup();
        using var _ = t;
        var reader = new BackupBlockReader(t.Store.Store, source, 8L * B, 2, CancellationToken.None);
        foreach (var (offset, length) in new (long, int)[] { (0, 1), (B - 7, 14), (B + 100, 3 * B), (2L * B, B), (4L * B - 1, 2), (8L * B - 4096, 4096), (5, 0) })
        {
            using var lease = await reader.ReadAsync(offset, length, CancellationToken.None);
            Assert.Equal(ImageBytes(image, offset, length), Bytes(lease));
        }
    }

    [Theory]
    [InlineData("lz4")]    // random blocks are served from the buffer they were read into, compressible ones decoded
    [InlineData("gzip")]   // decoded by the stream decoder into a second buffer
    [InlineData("none")]   // stored as they are
    public async Task Every_compression_method_reads_back_the_image_bytes(string method)
    {
        var t = new TestStore();
        using var _ = t;
        string image = TestImages.Create(t.WorkFile("mixed.img"), 6L * B,
            (0, TestImages.RandomBytes(41)), (1L * B, TestImages.CompressibleBytes(42)), (3L * B, TestImages.RandomBytes(43)),
            (4L * B, TestImages.CompressibleBytes(44)));
        var name = (await t.BackupAsync(V, image, compression: method)).Backup.Name;
        var source = await RestoreSource.LoadAsync(t.Store, V, name, false, "", "", CancellationToken.None);
        // A cache of four blocks, so blocks are read again after they leave it.
        var reader = new BackupBlockReader(t.Store.Store, source, 4L * (B + BlockCache.FrameRoom), 2, CancellationToken.None);
        for (int pass = 0; pass < 2; pass++)
            foreach (var (offset, length) in new (long, int)[] { (0, 6 * B), (B - 3, 9), (3L * B + 17, B), (5L * B - 1, 1) })
            {
                using var lease = await reader.ReadAsync(offset, length, CancellationToken.None);
                Assert.Equal(ImageBytes(image, offset, length), Bytes(lease));
            }
        Assert.Equal(0, reader.FailedReads);
    }

    [Fact]
    public async Task A_block_damaged_in_transfer_is_read_again_and_served_right()
    {
        var (t, image, source) = await Backup();
        using var _t = t;
        var hooked = new HookedStore(t.Store.Store);
        var damaged = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        string first = source.Backup.Blocks.Single(b => b.Offset == 0).BlockChecksum;
        // The first read of each block arrives damaged: block 0 with one byte flipped (decodes, fails its checksum),
        // block 1 as bytes that are no lz4 frame at all (fails to decode); every later read is whole.
        hooked.AfterRead = (key, data) =>
        {
            if (data is null || !key.EndsWith(".blk", StringComparison.Ordinal) || !damaged.TryAdd(key, true)) return data;
            var copy = (byte[])data.Clone();
            if (key.Contains(first, StringComparison.Ordinal)) copy[copy.Length / 2] ^= 0x40;
            else Array.Fill(copy, (byte)0x5a);
            return copy;
        };
        int failures = 0;
        var reader = new BackupBlockReader(hooked, source, 8L * B, 2, CancellationToken.None) { OnBlockFailed = _ => Interlocked.Increment(ref failures) };
        using (var lease = await reader.ReadAsync(0, 2 * B, CancellationToken.None))
            Assert.Equal(ImageBytes(image, 0, 2 * B), Bytes(lease));
        Assert.Equal(2, damaged.Count);
        Assert.Equal(0, failures);
        Assert.Equal(0, reader.FailedReads);
        Assert.Equal(2, reader.BlocksFetched);
    }

    [Fact]
    public async Task Holes_read_as_zeros_without_touching_the_store()
    {
        var (t, _, source) = await Backup();
        using var _t = t;
        var hooked = new HookedStore(t.Store.Store);
        var reader = new BackupBlockReader(hooked, source, 8L * B, 2, CancellationToken.None);
        using (var lease = await reader.ReadAsync(4L * B, 2 * B, CancellationToken.None))
            Assert.All(Bytes(lease), b => Assert.Equal(0, b));
        Assert.Empty(hooked.Calls);
        Assert.False(reader.IsMapped(2));
        Assert.True(reader.IsMapped(3));
    }

    [Fact]
    public async Task A_corrupt_block_fails_exactly_the_reads_that_touch_it_and_is_named_once()
    {
        var (t, image, source) = await Backup();
        using var _ = t;
        string broken = source.Backup.Blocks.Single(b => b.Offset == B).BlockChecksum;
        t.CorruptBlock(V, broken);
        var reader = new BackupBlockReader(t.Store.Store, source, 8L * B, 2, CancellationToken.None);
        var named = new List<LonghornBackupException>();
        reader.OnBlockFailed = e => { lock (named) named.Add(e); };

        // Inside block 1, across its end (into a hole), across its start (from block 0).
        foreach (var (offset, length) in new (long, int)[] { (B, 4096), (2L * B - 1, 2), (B - 1, 2) })
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(() => reader.ReadAsync(offset, length, CancellationToken.None));
            Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        }
        foreach (var (offset, length) in new (long, int)[] { (0, B), (2L * B, 4096), (B - 4096, 4096), (3L * B, B) })
        {
            using var lease = await reader.ReadAsync(offset, length, CancellationToken.None);
            Assert.Equal(ImageBytes(image, offset, length), Bytes(lease));
        }
        var warning = Assert.Single(named);
        Assert.Contains(broken, warning.Message);
        Assert.Equal(3, reader.FailedReads);
    }

    [Fact]
    public async Task A_block_file_longer_than_any_block_fails_its_reads_and_the_others_work()
    {
        var (t, image, source) = await Backup();
        using var _ = t;
        // Someone wrote 3 MiB of junk over block 0's file: too long for a cache buffer, read whole, refused.
        string swollen = source.Backup.Blocks.Single(b => b.Offset == 0).BlockChecksum;
        File.WriteAllBytes(t.BlockFile(V, swollen), TestImages.RandomBytes(900, 3 * B / 2));
        var reader = new BackupBlockReader(t.Store.Store, source, 8L * B, 2, CancellationToken.None);

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => reader.ReadAsync(0, 4096, CancellationToken.None));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.ChecksumMismatch, ErrorIds.BlockDecompressionFailed });
        Assert.Contains("offset 0 ", e.Message);
        using (var lease = await reader.ReadAsync(B, B, CancellationToken.None))
            Assert.Equal(ImageBytes(image, B, B), Bytes(lease));
        Assert.Equal(1, reader.FailedReads);
    }

    [Fact]
    public async Task A_missing_block_is_BlockMissing_naming_its_offset()
    {
        var (t, _, source) = await Backup();
        using var _ = t;
        string gone = source.Backup.Blocks.Single(b => b.Offset == 3L * B).BlockChecksum;
        File.Delete(t.BlockFile(V, gone));
        var reader = new BackupBlockReader(t.Store.Store, source, 8L * B, 2, CancellationToken.None);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => reader.ReadAsync(3L * B + 10, 10, CancellationToken.None));
        Assert.Equal(ErrorIds.BlockMissing, e.ErrorId);
        Assert.Contains($"offset {3L * B}", e.Message);
    }

    [Fact]
    public async Task The_cache_keeps_its_size_however_much_is_read()
    {
        var (t, image, source) = await BackupOfDataBlocks(24, seed: 100);
        using var _ = t;
        var reader = new BackupBlockReader(t.Store.Store, source, 4L * B, 2, CancellationToken.None);
        for (int pass = 0; pass < 2; pass++)
            for (long offset = 0; offset < 24L * B; offset += 256 * 1024)
            {
                using var lease = await reader.ReadAsync(offset, 256 * 1024, CancellationToken.None);
                Assert.Equal(ImageBytes(image, offset, 256 * 1024), Bytes(lease));
            }
        Assert.Equal(4, reader.Cache.Capacity);
        Assert.True(reader.Cache.Count <= 4, $"{reader.Cache.Count} blocks cached");
        // Buffers: the cache's four, the blocks prefetch and reads held at once, and two spares; never one per block read.
        Assert.True(reader.Cache.BuffersAllocated <= 10, $"{reader.Cache.BuffersAllocated} block buffers allocated for 48 block reads");
    }

    [Fact]
    public void A_block_held_by_a_read_is_never_evicted_under_it()
    {
        var cache = new BlockCache(16, capacity: 1);
        cache.Add("a", Enumerable.Repeat((byte)1, 16).ToArray());
        using var held = cache.TryAcquire("a")!;
        cache.Add("b", Enumerable.Repeat((byte)2, 16).ToArray());
        cache.Add("c", Enumerable.Repeat((byte)3, 16).ToArray());
        Assert.All(held.Block, x => Assert.Equal(1, x));
        Assert.NotNull(cache.TryAcquire("a"));
        Assert.Null(cache.TryAcquire("b"));
    }

    [Fact]
    public void A_block_a_read_waits_for_arrives_held_for_it_and_is_not_evicted_by_blocks_loaded_after_it()
    {
        var cache = new BlockCache(16, capacity: 1);
        Assert.Null(cache.Reserve("a", out var waiting));
        Assert.Null(cache.Reserve("a", out var second));
        Assert.Equal(2, cache.ReservationsFor("a"));
        cache.Add("a", Enumerable.Repeat((byte)1, 16).ToArray());   // arrives held for both readers
        cache.Add("b", Enumerable.Repeat((byte)2, 16).ToArray());   // over capacity: only b can go
        cache.Add("c", Enumerable.Repeat((byte)3, 16).ToArray());
        using (var taken = cache.TakeReserved(waiting!)!) Assert.All(taken.Block, x => Assert.Equal(1, x));
        cache.CancelReservation(second!);   // the second reader gave up: its hold is released, not leaked
        cache.Add("d", Enumerable.Repeat((byte)4, 16).ToArray());
        Assert.Null(cache.TryAcquire("a"));   // nothing holds a any more, so it was evicted
        Assert.Equal(0, cache.ReservationsFor("a"));

        // A reservation whose load failed is given back before anything arrives; a later load is nobody's hold.
        Assert.Null(cache.Reserve("e", out var failed));
        cache.CancelReservation(failed!);
        Assert.Null(cache.TakeReserved(failed!));
        cache.Add("e", Enumerable.Repeat((byte)5, 16).ToArray());
        cache.Add("f", Enumerable.Repeat((byte)6, 16).ToArray());
        Assert.Null(cache.TryAcquire("e"));
    }

    [Fact]
    public void Reads_claim_all_their_blocks_or_none_and_wait_while_the_blocks_held_would_pass_the_limit()
    {
        var cache = new BlockCache(16, capacity: 2);
        byte[] Data(byte v) => Enumerable.Repeat(v, 16).ToArray();
        var heldA = new BlockCache.CachedBlock?[2];
        var reservedA = new BlockCache.Reservation?[2];
        Assert.True(cache.TryClaimAll(new[] { "a", "b" }, limit: 3, heldA, reservedA, out _));
        Assert.All(heldA, Assert.Null);
        Assert.Equal(2, cache.InUse);

        // Two more blocks would make four held or awaited: refused, and nothing of it claimed.
        var heldB = new BlockCache.CachedBlock?[2];
        var reservedB = new BlockCache.Reservation?[2];
        Assert.False(cache.TryClaimAll(new[] { "c", "d" }, limit: 3, heldB, reservedB, out var room));
        Assert.Equal(0, cache.ReservationsFor("c"));
        Assert.False(room.IsCompleted);

        // A read of a block already awaited adds nothing and goes on.
        var heldC = new BlockCache.CachedBlock?[1];
        var reservedC = new BlockCache.Reservation?[1];
        Assert.True(cache.TryClaimAll(new[] { "a" }, limit: 3, heldC, reservedC, out _));
        Assert.Equal(2, cache.ReservationsFor("a"));

        cache.Add("a", Data(1));
        cache.Add("b", Data(2));
        using (cache.TakeReserved(reservedA[0]!)) { }
        Assert.False(room.IsCompleted);   // a is still held by the other read
        cache.TakeReserved(reservedA[1]!)!.Dispose();
        Assert.True(room.IsCompleted);    // b is free: room for the waiting read
        Assert.True(cache.TryClaimAll(new[] { "c", "d" }, limit: 3, heldB, reservedB, out _));
        Assert.Equal(3, cache.InUse);     // a (held), c and d (awaited)
        cache.TakeReserved(reservedC[0]!)!.Dispose();

        // Alone, a read larger than the limit still goes on.
        var fresh = new BlockCache(16, capacity: 2);
        Assert.True(fresh.TryClaimAll(new[] { "p", "q", "r", "s", "t" }, limit: 3, new BlockCache.CachedBlock?[5], new BlockCache.Reservation?[5], out _));
    }

    [Fact]
    public async Task Many_reads_at_once_on_a_cache_of_four_blocks_all_succeed_with_the_right_bytes()
    {
        var (t, image, source) = await BackupOfDataBlocks(24, seed: 300);
        using var _ = t;
        // Eight fetchers and 4 blocks of cache: every read's block is loaded while others push it out of the cache.
        long cacheBytes = (BlockFetcher.BuffersHeld(8) + 4 + 4) * (long)(B + BlockCache.FrameRoom);
        var reader = new BackupBlockReader(t.Store.Store, source, cacheBytes, 8, CancellationToken.None);
        Assert.Equal(4, reader.Cache.Capacity);
        var random = new Random(5);
        var reads = Enumerable.Range(0, 400).Select(_ => (long)random.Next(0, 24 * 8) * (B / 8)).Select(async offset =>
        {
            await Task.Yield();
            using var lease = await reader.ReadAsync(offset, (int)(B / 8), CancellationToken.None);
            return Bytes(lease).SequenceEqual(ImageBytes(image, offset, (int)(B / 8)));
        }).ToArray();
        Assert.All(await Task.WhenAll(reads), Assert.True);
        Assert.Equal(0, reader.FailedReads);
    }

    [Fact]
    public async Task Block_buffers_stay_within_the_cache_size_with_many_fetchers_and_reads()
    {
        var (t, image, source) = await BackupOfDataBlocks(40, seed: 500);
        using var _ = t;
        // Sixteen loads and a cache of four blocks: the fetch stage's buffers, four held beyond the cache, four cached.
        const int fetchers = 16;
        int budget = BlockFetcher.BuffersHeld(fetchers) + 4 + 4;
        var reader = new BackupBlockReader(t.Store.Store, source, budget * (long)(B + BlockCache.FrameRoom), fetchers, CancellationToken.None);
        Assert.Equal(4, reader.Cache.Capacity);
        // As nbdcopy does: four streams of 256 KiB reads, many in flight, over the whole image, twice.
        const int chunk = (int)(B / 8);
        for (int pass = 0; pass < 2; pass++)
        {
            var streams = Enumerable.Range(0, 4).Select(async stream =>
            {
                var inFlight = new List<Task<bool>>();
                for (long offset = stream * 10L * B; offset < (stream + 1) * 10L * B; offset += chunk)
                {
                    long at = offset;
                    inFlight.Add(Task.Run(async () =>
                    {
                        using var lease = await reader.ReadAsync(at, chunk, CancellationToken.None);
                        return Bytes(lease).SequenceEqual(ImageBytes(image, at, chunk));
                    }));
                    if (inFlight.Count >= 16) { Assert.True(await inFlight[0]); inFlight.RemoveAt(0); }
                }
                Assert.All(await Task.WhenAll(inFlight), Assert.True);
            });
            await Task.WhenAll(streams);
        }
        Assert.Equal(0, reader.FailedReads);
        Assert.True(reader.Cache.BuffersAllocated <= budget, $"{reader.Cache.BuffersAllocated} block buffers allocated for a budget of {budget}");
    }

    [Fact]
    public async Task Fewer_fetchers_are_used_than_asked_when_their_buffers_would_crowd_out_the_cache()
    {
        var (t, image, source) = await BackupOfDataBlocks(4, seed: 600);
        using var _ = t;
        // Room for twelve blocks in all: sixty-four loads' buffers cannot fit; one load leaves the most that can be cached.
        var reader = new BackupBlockReader(t.Store.Store, source, 12L * (B + BlockCache.FrameRoom), 64, CancellationToken.None);
        Assert.Equal(12 - 4 - BlockFetcher.BuffersHeld(1), reader.Cache.Capacity);
        using (var lease = await reader.ReadAsync(0, 4 * B, CancellationToken.None))
            Assert.Equal(ImageBytes(image, 0, 4 * B), Bytes(lease));
        Assert.True(reader.Cache.BuffersAllocated <= 12, $"{reader.Cache.BuffersAllocated} block buffers for room of 12");
    }

    [Fact]
    public void Mount_command_lines_are_read_only()
    {
        var unix = ExportEndpoint.Unix("/run/lh/x.sock");
        Assert.Equal(new[] { "-unix", "/run/lh/x.sock", "/dev/nbd0", "-name", "backup-1", "-readonly", "-block-size", "4096" },
            NbdMountCommands.Connect(unix, "backup-1", "/dev/nbd0"));
        var tcp = ExportEndpoint.Tcp(IPAddress.Loopback, 10809);
        Assert.Equal(new[] { "127.0.0.1", "10809", "/dev/nbd1", "-name", "b", "-readonly", "-block-size", "4096" },
            NbdMountCommands.Connect(tcp, "b", "/dev/nbd1"));
        Assert.Equal(new[] { "-o", "ro,noload", "-t", "ext4", "/dev/nbd0p1", "/mnt/x" },
            NbdMountCommands.Mount(NbdMountCommands.PartitionDevice("/dev/nbd0", 1), "/mnt/x", "ext4", new[] { "rw" }));
        Assert.Equal(new[] { "-o", "ro,norecovery", "/dev/nbd0", "/mnt/y" }, NbdMountCommands.Mount("/dev/nbd0", "/mnt/y", null, new[] { "norecovery" }));
        Assert.Equal(new[] { "-d", "/dev/nbd0" }, NbdMountCommands.Disconnect(NbdMounter.WholeDevice("/dev/nbd0p1")));
        Assert.Equal("nbd+unix:///backup-1?socket=/run/lh/x.sock", unix.UriOf("backup-1"));
        Assert.Equal("nbd://127.0.0.1:10809/b", tcp.UriOf("b"));
    }

    [Fact]
    public void Dismount_finds_the_nbd_device_visible_at_a_mount_point_and_nothing_elsewhere()
    {
        var table = Store.Shares.MountTable.Parse(
            "22 1 259:1 / / rw - ext4 /dev/vda1 rw\n" +
            "40 22 43:1 / /mnt/backup\\040copy ro - ext4 /dev/nbd0p1 ro\n" +
            "41 22 43:16 / /mnt/other ro - xfs /dev/nbd1 ro\n" +
            "42 22 0:50 / /mnt/other rw - tmpfs tmpfs rw\n");
        Assert.Equal("/dev/nbd0p1", NbdMounter.FindMountedDevice("/mnt/backup copy/", table));
        Assert.Equal("/dev/nbd0", NbdMounter.WholeDevice("/dev/nbd0p1"));
        Assert.Null(NbdMounter.FindMountedDevice("/mnt/other", table));   // the nbd mount there is hidden by a later one
        Assert.Null(NbdMounter.FindMountedDevice("/", table));
        Assert.Null(NbdMounter.FindMountedDevice("/mnt/none", table));
    }
}
