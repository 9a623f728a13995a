using System.Buffers;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Method "lz4": an LZ4 *frame* (magic 04 22 4D 18), not a raw LZ4 block. Independent 4 MiB blocks with a content
/// checksum, the same choices as pierrec/lz4's defaults that Longhorn uses.
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

    public void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output) => LZ4Frame.Encode(block, output, Settings);

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
