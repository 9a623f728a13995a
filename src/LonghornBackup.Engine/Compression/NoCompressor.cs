using System.Buffers;

namespace LonghornBackup.Engine.Compression;

/// <summary>Method "none": the block is stored as it is.</summary>
public sealed class NoCompressor : ICompressor
{
    public string Name => CompressionMethods.None;
    public void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output) => output.Write(block);
    public void Decompress(ReadOnlyMemory<byte> stored, IBufferWriter<byte> output) => output.Write(stored.Span);
}
