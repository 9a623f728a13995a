using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Hash.xxHash;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §3.3: the stored form of blocks for lz4, gzip and none, and the gzip/lz4 read fallback.</summary>
public class CompressionTests
{
    private static readonly byte[] Lz4Magic = { 0x04, 0x22, 0x4D, 0x18 };

    private static byte[] Compress(string method, byte[] block)
    {
        var output = new ArrayBufferWriter<byte>();
        CompressionMethods.Get(method).Compress(block, output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Decompress(ICompressor compressor, byte[] stored)
    {
        var output = new ArrayBufferWriter<byte>();
        compressor.Decompress(stored, output);
        return output.WrittenSpan.ToArray();
    }

    public static TheoryData<string, string> MethodsAndContents()
    {
        var data = new TheoryData<string, string>();
        foreach (var m in new[] { "lz4", "gzip", "none" })
            foreach (var c in new[] { "random", "zero", "compressible" })
                data.Add(m, c);
        return data;
    }

    private static byte[] Content(string kind) => kind switch
    {
        "random" => TestImages.RandomBytes(11),
        "zero" => new byte[TestImages.Block],
        _ => TestImages.CompressibleBytes(12),
    };

    [Theory]
    [MemberData(nameof(MethodsAndContents))]
    public void Each_method_round_trips_a_2_MiB_block(string method, string content)
    {
        byte[] block = Content(content);
        byte[] stored = Compress(method, block);
        Assert.Equal(block, Decompress(CompressionMethods.Get(method), stored));
        Assert.Equal(method, CompressionMethods.Get(method).Name);
    }

    [Fact]
    public void None_stores_the_block_as_it_is()
    {
        byte[] block = TestImages.RandomBytes(3);
        Assert.Equal(block, Compress("none", block));
    }

    [Fact]
    public void Lz4_writes_an_lz4_frame_and_a_zero_block_is_small()
    {
        byte[] stored = Compress("lz4", new byte[TestImages.Block]);
        Assert.Equal(Lz4Magic, stored[..4]);
        // Go's pierrec/lz4 writes 8 265 bytes for this block; any sane frame encoder stays far below 64 KiB.
        Assert.True(stored.Length < 64 * 1024, $"2 MiB of zeros took {stored.Length} bytes");
        Assert.Equal(new byte[TestImages.Block], ParseLz4Frame(stored));
    }

    [Fact]
    public void Lz4_incompressible_block_is_a_valid_frame_no_larger_than_gos()
    {
        byte[] block = TestImages.RandomBytes(21);
        byte[] stored = Compress("lz4", block);
        Assert.Equal(Lz4Magic, stored[..4]);
        // Go: 7-byte header + 4-byte block size + 2 097 152 + end mark + content checksum = 2 097 171 bytes.
        Assert.InRange(stored.Length, TestImages.Block, 2_097_171);
        Assert.Equal(block, ParseLz4Frame(stored));
        Assert.Equal(block, Decompress(CompressionMethods.Get("lz4"), stored));
    }

    [Fact]
    public void Lz4_incompressible_block_is_stored_as_one_uncompressed_frame_block_without_trying_lz4_on_it()
    {
        byte[] block = TestImages.RandomBytes(22);
        byte[] stored = Compress("lz4", block);
        // Header (7) + block size word (4) + the block + end mark (4) + content checksum (4): the probe stored it as
        // it is, in the 2 097 171 bytes Longhorn's own writer produces for such a block (docs/backupstore-format.md §3.3).
        Assert.Equal(2_097_171, stored.Length);
        Assert.Equal(0x64, stored[4]);
        Assert.Equal(0x8000_0000u | (uint)block.Length, BinaryPrimitives.ReadUInt32LittleEndian(stored.AsSpan(7)));
        Assert.Equal(block, ParseLz4Frame(stored));
        Assert.Equal(block, Decompress(CompressionMethods.Get("lz4"), stored));
        // The restore's decoder hands the block back in place, without a copy.
        Assert.True(Lz4FrameSpanDecoder.TryDecode(stored, new byte[block.Length], out var content));
        Assert.True(content.InFrame);
        Assert.Equal(block, stored.AsSpan(content.Start, content.Length).ToArray());
    }

    [Fact]
    public void Lz4_incompressible_16_MiB_block_is_stored_in_4_MiB_frame_blocks()
    {
        byte[] block = TestImages.RandomBytes(23, 16 * 1024 * 1024 + 100);
        byte[] stored = Compress("lz4", block);
        Assert.Equal(block.Length + 7 + 5 * 4 + 4 + 4, stored.Length);   // 4 full blocks and 100 bytes, each with its size word
        Assert.Equal(block, ParseLz4Frame(stored));
        Assert.Equal(block, Decompress(CompressionMethods.Get("lz4"), stored));
    }

    [Theory]
    [InlineData(0)]                       // the first sample
    [InlineData(2 * 1024 * 1024 - 8192)]  // the last sample
    [InlineData(1_193_688)]               // the fifth sample, at 4 x ((2 MiB - 8 KiB) / 7)
    public void Lz4_random_block_with_compressible_data_under_one_sample_is_compressed(int at)
    {
        // Random data except 64 KiB of text where one of the probe's samples lands: LZ4 must get its chance.
        byte[] block = TestImages.RandomBytes(24);
        TestImages.CompressibleBytes(25).AsSpan(0, 64 * 1024).CopyTo(block.AsSpan(Math.Clamp(at - 28 * 1024, 0, block.Length - 64 * 1024)));
        byte[] stored = Compress("lz4", block);
        Assert.True(stored.Length < block.Length - 16 * 1024, $"stored {stored.Length} bytes for {block.Length}");
        Assert.Equal(block, ParseLz4Frame(stored));
    }

    [Fact]
    public void Lz4_small_incompressible_block_still_goes_through_lz4()
    {
        // Below the probe's minimum, the frame is the LZ4 encoder's own (with its content checksum).
        byte[] block = TestImages.RandomBytes(26, 64 * 1024);
        byte[] stored = Compress("lz4", block);
        Assert.NotEqual(0, stored[4] & 0x04);
        Assert.Equal(block, ParseLz4Frame(stored));
    }

    [Fact]
    public void Lz4_frame_of_compressible_data_is_valid_and_smaller()
    {
        byte[] block = TestImages.CompressibleBytes(5);
        byte[] stored = Compress("lz4", block);
        Assert.True(stored.Length < block.Length / 2);
        Assert.Equal(block, ParseLz4Frame(stored));
    }

    [Fact]
    public void Gzip_writes_one_gzip_member_readable_by_any_gzip_reader()
    {
        byte[] block = TestImages.CompressibleBytes(6);
        byte[] stored = Compress("gzip", block);
        Assert.Equal(new byte[] { 0x1f, 0x8b, 0x08 }, stored[..3]);
        Assert.True(stored.Length < block.Length / 2);
        using var gz = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
        var back = new MemoryStream();
        gz.CopyTo(back);
        Assert.Equal(block, back.ToArray());
    }

    [Fact]
    public void Gzip_incompressible_block_is_stored_in_stored_deflate_blocks_smaller_than_gos()
    {
        byte[] block = TestImages.RandomBytes(27);
        Assert.True(IncompressibleProbe.LooksIncompressible(block, entropyCoded: true));
        byte[] stored = Compress("gzip", block);
        Assert.Equal(new byte[] { 0x1f, 0x8b, 0x08 }, stored[..3]);
        // Go's default level writes 2 097 815 bytes for such a block (docs/backupstore-format.md §3.3); stored blocks add 5 bytes per 64 KiB.
        Assert.InRange(stored.Length, block.Length, 2_097_815 - 1);
        Assert.Equal(block, GunzipWithTheFramework(stored));
    }

    [Fact]
    public void Gzip_compresses_text_whose_bytes_lz4_finds_no_repeats_in()
    {
        // Base64 of random bytes: LZ4 gains nothing, deflate's Huffman stage a quarter (6 bits a byte).
        byte[] block = System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(TestImages.RandomBytes(28, TestImages.Block)))[..TestImages.Block];
        Assert.True(IncompressibleProbe.LooksIncompressible(block));                        // as lz4 sees it
        Assert.False(IncompressibleProbe.LooksIncompressible(block, entropyCoded: true));   // as gzip sees it
        byte[] stored = Compress("gzip", block);
        Assert.True(stored.Length < block.Length * 8 / 10, $"stored {stored.Length} bytes for {block.Length}");
        Assert.Equal(block, GunzipWithTheFramework(stored));
    }

    private static byte[] GunzipWithTheFramework(byte[] stored)
    {
        using var gz = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress);
        var back = new MemoryStream();
        gz.CopyTo(back);
        return back.ToArray();
    }

    [Fact]
    public void Gzip_bytes_on_an_lz4_volume_decode_as_gzip()
    {
        byte[] block = TestImages.CompressibleBytes(7);
        byte[] gz = Compress("gzip", block);
        var decoder = CompressionMethods.ForStoredBlock("lz4", gz);
        Assert.Equal("gzip", decoder.Name);
        Assert.Equal(block, Decompress(decoder, gz));
    }

    [Fact]
    public void Lz4_bytes_on_a_gzip_volume_decode_as_lz4()
    {
        byte[] block = TestImages.CompressibleBytes(8);
        byte[] lz4 = Compress("lz4", block);
        var decoder = CompressionMethods.ForStoredBlock("gzip", lz4);
        Assert.Equal("lz4", decoder.Name);
        Assert.Equal(block, Decompress(decoder, lz4));
    }

    [Fact]
    public void No_fallback_to_or_from_none()
    {
        byte[] gz = Compress("gzip", TestImages.CompressibleBytes(9));
        // A "none" volume stores raw bytes, even if they happen to look like gzip.
        Assert.Equal("none", CompressionMethods.ForStoredBlock("none", gz).Name);
        // Raw bytes on an lz4 volume are tried as lz4 (the configured method), and fail as such.
        byte[] raw = TestImages.RandomBytes(10, 4096);
        raw[0] = 0x00;
        var decoder = CompressionMethods.ForStoredBlock("lz4", raw);
        Assert.Equal("lz4", decoder.Name);
        Assert.Throws<InvalidDataException>(() => Decompress(decoder, raw));
    }

    [Fact]
    public void Verifier_accepts_gzip_block_on_lz4_volume_and_checks_the_checksum()
    {
        byte[] block = TestImages.CompressibleBytes(13);
        string checksum = Checksum.Of(block);
        var output = new ArrayBufferWriter<byte>();
        BlockVerifier.DecompressAndVerify("lz4", checksum, "k", Compress("gzip", block), TestImages.Block, output);
        Assert.Equal(block, output.WrittenSpan.ToArray());

        string wrong = Checksum.Of(new byte[1]);
        var e = Assert.Throws<LonghornBackupException>(() =>
            BlockVerifier.DecompressAndVerify("lz4", wrong, "k", Compress("lz4", block), TestImages.Block, output));
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains(wrong, e.Message);
    }

    [Fact]
    public void Verifier_rejects_a_short_block_even_if_its_checksum_matches()
    {
        // docs/backupstore-format.md §13: Longhorn fails restore of a block whose data is shorter than the block size.
        byte[] half = TestImages.RandomBytes(14, TestImages.Block / 2);
        var e = Assert.Throws<LonghornBackupException>(() =>
            BlockVerifier.DecompressAndVerify("lz4", Checksum.Of(half), "k", Compress("lz4", half), TestImages.Block, new ArrayBufferWriter<byte>()));
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
    }

    [Fact]
    public void Unknown_method_fails_with_InvalidCompressionMethod()
    {
        var e = Assert.Throws<LonghornBackupException>(() => CompressionMethods.Get("zstd"));
        Assert.Equal(ErrorIds.InvalidCompressionMethod, e.ErrorId);
    }

    [Theory]
    [InlineData("vol-lz4", "lz4")]
    [InlineData("vol-gzip", "gzip")]
    [InlineData("vol-none", "none")]
    public void Blocks_written_by_longhorn_decode_to_their_checksum(string volume, string method)
    {
        var files = TestImages.BlockFiles(Path.Combine(TestImages.FixtureRoot, StorePaths.BlocksDir(volume)));
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            byte[] stored = File.ReadAllBytes(file);
            byte[] data = Decompress(CompressionMethods.Get(method), stored);
            Assert.Equal(TestImages.Block, data.Length);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), Checksum.Of(data));
        }
    }

    [Fact]
    public async Task Restore_reads_a_gzip_block_stored_in_an_lz4_volume()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("a.img"), 4 * TestImages.MiB,
            (0, TestImages.CompressibleBytes(30)), (TestImages.Block, TestImages.RandomBytes(31)));
        var result = await t.BackupAsync("vol-mixed", image, compression: "lz4");
        // Replace one stored block by its gzip form, as an older writer would have stored it.
        string checksum = result.Backup.Blocks[0].BlockChecksum;
        string file = t.BlockFile("vol-mixed", checksum);
        File.WriteAllBytes(file, Compress("gzip", TestImages.CompressibleBytes(30)));
        string restored = await t.RestoreToNewFileAsync("vol-mixed", result.Backup.Name);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(restored));
    }

    /// <summary>
    /// An independent reader of the LZ4 frame format (lz4_Frame_format.md): checks the header and its checksum, walks
    /// the data blocks, checks the end mark and the content checksum, and returns the content when every block is
    /// stored uncompressed or returns the engine's decode otherwise (after checking the structure).
    /// </summary>
    private static byte[] ParseLz4Frame(byte[] frame)
    {
        Assert.True(frame.Length >= 7 + 4);
        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        byte flg = frame[4], bd = frame[5];
        Assert.Equal(0b01, flg >> 6);                     // version 01
        Assert.Equal(0, flg & 0b10);                      // reserved bit
        Assert.Equal(0, bd & 0x8F);                       // reserved bits of BD
        int maxBlock = ((bd >> 4) & 0x7) switch { 4 => 64 << 10, 5 => 256 << 10, 6 => 1 << 20, 7 => 4 << 20, var x => throw new Xunit.Sdk.XunitException($"bad BD block size {x}") };
        bool blockChecksum = (flg & 0x10) != 0, contentSize = (flg & 0x08) != 0, contentChecksum = (flg & 0x04) != 0, dictId = (flg & 0x01) != 0;
        int pos = 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0);
        byte hc = frame[pos];
        Assert.Equal((byte)((XXH32.DigestOf(frame.AsSpan(4, pos - 4)) >> 8) & 0xFF), hc);
        pos++;
        var content = new MemoryStream();
        bool allRaw = true;
        while (true)
        {
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(pos));
            pos += 4;
            if (word == 0) break;
            bool raw = (word & 0x8000_0000) != 0;
            int size = (int)(word & 0x7FFF_FFFF);
            Assert.InRange(size, 1, maxBlock);
            if (raw) content.Write(frame, pos, size); else allRaw = false;
            pos += size + (blockChecksum ? 4 : 0);
        }
        if (contentChecksum) pos += 4;
        Assert.Equal(frame.Length, pos);                  // nothing after the frame
        byte[] data = allRaw ? content.ToArray() : Decompress(CompressionMethods.Get("lz4"), frame);
        if (contentChecksum)
            Assert.Equal(XXH32.DigestOf(data), BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 4)));
        return data;
    }
}
