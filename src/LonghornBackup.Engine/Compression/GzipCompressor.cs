using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Method "gzip": one RFC 1952 member at zlib's default level, like Go's gzip.NewWriter. A block that
/// <see cref="IncompressibleProbe"/> judges incompressible (random, encrypted or compressed data, which deflate spends
/// seconds a block failing to shrink) is written as a member of stored deflate blocks instead: any gzip reader,
/// Longhorn's included, reads it, and it is smaller than what the default level makes of such data.
/// </summary>
public sealed class GzipCompressor : ICompressor
{
    public string Name => CompressionMethods.Gzip;

    public void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output)
    {
        using var sink = new BufferWriterStream(output);
        var level = IncompressibleProbe.LooksIncompressible(block, entropyCoded: true) ? CompressionLevel.NoCompression : CompressionLevel.Optimal;
        using (var gzip = new GZipStream(sink, level, leaveOpen: true)) gzip.Write(block);
    }

    public void Decompress(ReadOnlyMemory<byte> stored, IBufferWriter<byte> output)
    {
        using var source = AsStream(stored);
        using var gzip = new GZipStream(source, CompressionMode.Decompress);
        while (true)
        {
            var span = output.GetSpan(64 * 1024);
            int n = gzip.Read(span);
            if (n == 0) break;
            output.Advance(n);
        }
    }

    private static Stream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
}
