using System.Buffers;
using System.Buffers.Binary;
using K4os.Hash.xxHash;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The restore's LZ4 frame decoder: every frame shape it accepts decodes to the same bytes as the stream decoder, the
/// raw single-block frame is returned in place, and every frame it refuses still decodes (or fails) through
/// <see cref="BlockVerifier.DecodeAndVerify"/> exactly as <see cref="BlockVerifier.DecompressAndVerify"/> does.
/// </summary>
public class Lz4FrameSpanDecoderTests
{
    private const int B = TestImages.Block;

    private static byte[] Encode(byte[] data, int blockSize = 4 << 20, bool chain = false, bool blockChecksum = false,
        bool contentChecksum = true, bool contentSize = false)
    {
        var output = new ArrayBufferWriter<byte>();
        LZ4Frame.Encode(data, output, new LZ4EncoderSettings
        {
            BlockSize = blockSize,
            ChainBlocks = chain,
            BlockChecksum = blockChecksum,
            ContentChecksum = contentChecksum,
            CompressionLevel = LZ4Level.L00_FAST,
        });
        byte[] frame = output.WrittenSpan.ToArray();
        return contentSize ? WithContentSize(frame, data.Length) : frame;
    }

    /// <summary>The frame with the optional content-size field, which K4os does not write (lz4_Frame_format.md).</summary>
    private static byte[] WithContentSize(byte[] frame, long size)
    {
        var descriptor = new byte[10];
        descriptor[0] = (byte)(frame[4] | 0x08);
        descriptor[1] = frame[5];
        BinaryPrimitives.WriteInt64LittleEndian(descriptor.AsSpan(2), size);
        byte hc = (byte)(XXH32.DigestOf(descriptor) >> 8);
        return [.. frame[..4], .. descriptor, hc, .. frame[7..]];
    }

    private static byte[] Decode(byte[] frame, int room, out Lz4FrameSpanDecoder.Content content)
    {
        var output = new byte[room];
        Assert.True(Lz4FrameSpanDecoder.TryDecode(frame, output, out content));
        return content.InFrame ? frame.AsSpan(content.Start, content.Length).ToArray() : output.AsSpan(0, content.Length).ToArray();
    }

    [Fact]
    public void Incompressible_block_is_returned_in_place_without_a_copy()
    {
        byte[] block = TestImages.RandomBytes(1);
        byte[] frame = Compress(block);
        Assert.Equal(block, Decode(frame, B, out var content));
        Assert.True(content.InFrame);

        var data = BlockVerifier.DecodeAndVerify("lz4", Checksum.Of(block), "k", frame, B, new ArrayBufferWriter<byte>());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment));
        Assert.Same(frame, segment.Array);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void A_frame_of_one_stored_block_is_found_where_it_lies(bool blockChecksum, bool contentChecksum)
    {
        byte[] block = TestImages.RandomBytes(6);
        byte[] frame = Encode(block, blockChecksum: blockChecksum, contentChecksum: contentChecksum);
        Assert.True(Lz4FrameSpanDecoder.TryFindStoredContent(frame, out int start, out int length));
        Assert.Equal(block, frame.AsSpan(start, length).ToArray());
        Assert.True(Lz4FrameSpanDecoder.TryFindStoredContent(WithContentSize(frame, block.Length), out start, out length));
        Assert.Equal(block.Length, length);
    }

    [Fact]
    public void Frames_that_are_not_one_stored_block_are_not_found()
    {
        byte[] random = TestImages.RandomBytes(7);
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(Compress(TestImages.CompressibleBytes(8)), out _, out _));   // compressed
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(Encode(random, 64 << 10), out _, out _));                  // 32 stored blocks
        byte[] frame = Compress(random);
        Assert.True(Lz4FrameSpanDecoder.TryFindStoredContent(frame, out _, out _));
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(frame[..^1], out _, out _));                      // cut short
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent([.. frame, 0], out _, out _));                    // something after it
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(frame[..(frame.Length - 8)], out _, out _));      // no end mark
        byte[] header = (byte[])frame.Clone();
        header[5] ^= 0x10;                                                                                        // header checksum wrong
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(header, out _, out _));
        Assert.False(Lz4FrameSpanDecoder.TryFindStoredContent(random, out _, out _));                           // no frame at all
    }

    [Fact]
    public void Compressible_block_decodes_into_the_buffer()
    {
        byte[] block = TestImages.CompressibleBytes(2);
        Assert.Equal(block, Decode(Compress(block), B, out var content));
        Assert.False(content.InFrame);
    }

    [Theory]
    [InlineData(true, false)]   // first frame block raw, the others compressed
    [InlineData(false, true)]   // first compressed, a later one raw
    public void Large_block_of_several_frame_blocks_decodes_whole(bool firstRandom, bool lastRandom)
    {
        // A 16 MiB backup block is four 4 MiB frame blocks; a raw first block is copied once another follows.
        const int large = 16 << 20;
        byte[] block = new byte[large];
        for (int i = 0; i < 4; i++)
        {
            bool random = (i == 0 && firstRandom) || (i == 3 && lastRandom);
            (random ? TestImages.RandomBytes(10 + i, 4 << 20) : TestImages.CompressibleBytes(10 + i, 4 << 20)).CopyTo(block, i * (4 << 20));
        }
        Assert.Equal(block, Decode(Compress(block), large, out var content));
        Assert.False(content.InFrame);
    }

    [Theory]
    [InlineData(64 << 10, true, false, false)]
    [InlineData(256 << 10, false, false, true)]
    [InlineData(1 << 20, true, true, true)]
    [InlineData(4 << 20, false, true, true)]
    public void Frames_with_other_block_sizes_checksums_and_a_content_size_decode(int frameBlock, bool blockChecksum, bool contentChecksum, bool contentSize)
    {
        foreach (var block in new[] { TestImages.RandomBytes(3), TestImages.CompressibleBytes(4) })
        {
            byte[] frame = Encode(block, frameBlock, blockChecksum: blockChecksum, contentChecksum: contentChecksum, contentSize: contentSize);
            Assert.Equal(block, Decode(frame, B, out _));
            Assert.Equal(block, BlockVerifier.DecodeAndVerify("lz4", Checksum.Of(block), "k", frame, B, new ArrayBufferWriter<byte>()).ToArray());
        }
    }

    [Fact]
    public void Dependent_blocks_are_left_to_the_stream_decoder_and_still_restore()
    {
        byte[] block = TestImages.CompressibleBytes(5);
        byte[] frame = Encode(block, 64 << 10, chain: true);
        Assert.False(Lz4FrameSpanDecoder.TryDecode(frame, new byte[B], out _));
        var data = BlockVerifier.DecodeAndVerify("lz4", Checksum.Of(block), "k", frame, B, new ArrayBufferWriter<byte>());
        Assert.Equal(block, data.ToArray());
    }

    [Fact]
    public void Damaged_frames_are_refused_and_fail_as_before()
    {
        byte[] block = TestImages.CompressibleBytes(6);
        byte[] frame = Compress(block);
        byte[] truncated = frame[..(frame.Length - 9)];
        byte[] badHeader = (byte[])frame.Clone();
        badHeader[6] ^= 0xFF;   // the header checksum
        byte[] trailing = [.. frame, 0x00];
        foreach (var bad in new[] { truncated, badHeader, trailing })
            Assert.False(Lz4FrameSpanDecoder.TryDecode(bad, new byte[B], out _));

        string checksum = Checksum.Of(block);
        foreach (var bad in new[] { truncated, badHeader })
        {
            var fast = Assert.Throws<LonghornBackupException>(() => BlockVerifier.DecodeAndVerify("lz4", checksum, "k", bad, B, new ArrayBufferWriter<byte>()));
            var before = Assert.Throws<LonghornBackupException>(() => BlockVerifier.DecompressAndVerify("lz4", checksum, "k", bad, B, new ArrayBufferWriter<byte>()));
            Assert.Equal(before.ErrorId, fast.ErrorId);
            Assert.Equal(before.Message, fast.Message);
        }
    }

    [Theory]
    [InlineData(B + 4096)]
    [InlineData(B / 2)]
    public void Content_of_the_wrong_size_fails_with_ChecksumMismatch_naming_its_size(int length)
    {
        foreach (var data in new[] { TestImages.RandomBytes(7, length), TestImages.CompressibleBytes(8, length) })
        {
            var e = Assert.Throws<LonghornBackupException>(() =>
                BlockVerifier.DecodeAndVerify("lz4", Checksum.Of(data), "k", Compress(data), B, new ArrayBufferWriter<byte>()));
            Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
            Assert.Contains($"holds {length} bytes", e.Message);
        }
    }

    [Fact]
    public void Wrong_content_fails_with_ChecksumMismatch_in_place_too()
    {
        byte[] frame = Compress(TestImages.RandomBytes(9));
        string wrong = Checksum.Of(TestImages.RandomBytes(10));
        var e = Assert.Throws<LonghornBackupException>(() => BlockVerifier.DecodeAndVerify("lz4", wrong, "k", frame, B, new ArrayBufferWriter<byte>()));
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains(wrong, e.Message);
    }

    [Theory]
    [InlineData("vol-lz4", "lz4")]
    [InlineData("vol-gzip", "gzip")]
    [InlineData("vol-none", "none")]
    public void Blocks_written_by_longhorn_decode_and_verify(string volume, string method)
    {
        var files = TestImages.BlockFiles(Path.Combine(TestImages.FixtureRoot, StorePaths.BlocksDir(volume)));
        Assert.NotEmpty(files);
        var scratch = new ArrayBufferWriter<byte>();
        foreach (var file in files)
        {
            byte[] stored = File.ReadAllBytes(file);
            string checksum = Path.GetFileNameWithoutExtension(file);
            var data = BlockVerifier.DecodeAndVerify(method, checksum, file, stored, B, scratch);
            Assert.Equal(checksum, Checksum.Of(data.Span));
            if (method == "lz4") Assert.True(Lz4FrameSpanDecoder.TryDecode(stored, new byte[B], out _), $"pierrec/lz4 frame refused: {file}");
        }
    }

    /// <summary>A block as the engine stores it with lz4.</summary>
    private static byte[] Compress(byte[] data)
    {
        var output = new ArrayBufferWriter<byte>();
        CompressionMethods.Get("lz4").Compress(data, output);
        return output.WrittenSpan.ToArray();
    }
}
