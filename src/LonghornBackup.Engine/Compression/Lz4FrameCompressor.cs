using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Method "lz4": an LZ4 *frame* (magic 04 22 4D 18), not a raw LZ4 block. Independent 4 MiB blocks with a content
/// checksum, the same choices as pierrec/lz4's defaults that Longhorn uses. A block that
/// <see cref="IncompressibleProbe"/> judges incompressible is written as a frame of uncompressed blocks without
/// trying LZ4 on all of it: the frame format's own way to store such data, byte for byte what pierrec/lz4 writes
/// for an incompressible block (FLG 0x64, content checksum included; docs/backupstore-format.md §3.3: 2 097 171 bytes for 2 MiB).
/// </summary>
public sealed class Lz4FrameCompressor : ICompressor
{
    private static readonly LZ4EncoderSettings Settings = new()
    {
        BlockSize = 4 * 1024 * 1024,
        ChainBlocks = false,
        ContentChecksum = true,
        BlockChecksum = false,
        CompressionLevel = LZ4Level.L00_FAST,
    };

    public string Name => CompressionMethods.Lz4;

    private const int MaxFrameBlock = 4 * 1024 * 1024;

    public void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output)
    {
        if (IncompressibleProbe.LooksIncompressible(block)) WriteStoredFrame(block, output);
        else LZ4Frame.Encode(block, output, Settings);
    }

    /// <summary>An LZ4 frame whose blocks are stored uncompressed (the high bit of each block's size says so).</summary>
    internal static void WriteStoredFrame(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        // Magic; FLG: version 01, independent blocks, no block checksum, no content size, content checksum;
        // BD: 4 MiB maximum block size; HC: the second byte of xxHash32 over FLG and BD.
        Span<byte> header = [0x04, 0x22, 0x4D, 0x18, 0x64, 0x70, 0];
        header[6] = (byte)(XxHash32.HashToUInt32(header[4..6]) >> 8);
        Append(output, header);
        Span<byte> size = stackalloc byte[4];
        for (int start = 0; start < data.Length; start += MaxFrameBlock)
        {
            var chunk = data.Slice(start, Math.Min(MaxFrameBlock, data.Length - start));
            BinaryPrimitives.WriteUInt32LittleEndian(size, 0x8000_0000u | (uint)chunk.Length);
            Append(output, size);
            Append(output, chunk);
        }
        size.Clear();   // end mark
        Append(output, size);
        BinaryPrimitives.WriteUInt32LittleEndian(size, XxHash32.HashToUInt32(data));
        Append(output, size);
    }

    private static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public void Decompress(ReadOnlyMemory<byte> stored, IBufferWriter<byte> output)
    {
        try
        {
            LZ4Frame.Decode(stored.Span, output);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException("not a valid LZ4 frame: " + e.Message, e);
        }
    }
}
