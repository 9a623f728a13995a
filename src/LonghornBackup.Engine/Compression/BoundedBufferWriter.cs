using System.Buffers;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Passes writes through to another buffer writer until <see cref="Limit"/> bytes are written, then throws
/// InvalidDataException. A stored block is read from a store that may be damaged or hostile: a few MiB of gzip can
/// expand to gigabytes, so decompression stops one byte past a whole block instead of filling memory.
/// </summary>
internal sealed class BoundedBufferWriter(IBufferWriter<byte> inner, int limit) : IBufferWriter<byte>
{
    private int _written;

    public int Limit { get; } = limit;

    public void Advance(int count)
    {
        if ((long)_written + count > Limit)
            throw new InvalidDataException($"it decompresses to more than {Limit} bytes");
        inner.Advance(count);
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
}
