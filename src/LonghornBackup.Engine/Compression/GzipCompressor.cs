using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace LonghornBackup.Engine.Compression;

/// <summary>Method "gzip": one RFC 1952 member at zlib's default level, like Go's gzip.NewWriter.</summary>
public sealed class GzipCompressor : ICompressor
{
    public string Name => CompressionMethods.Gzip;

    public void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output)
    {
        using var sink = new BufferWriterStream(output);
        using (var gzip = new GZipStream(sink, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(block);
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
