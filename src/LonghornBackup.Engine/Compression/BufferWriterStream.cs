using System.Buffers;

namespace LonghornBackup.Engine.Compression;

/// <summary>A write-only Stream over an IBufferWriter, so stream-based encoders (GZipStream) write into pooled buffers.</summary>
internal sealed class BufferWriterStream : Stream
{
    private readonly IBufferWriter<byte> _writer;
    public BufferWriterStream(IBufferWriter<byte> writer) => _writer = writer;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => _writer.Write(buffer.AsSpan(offset, count));
#if NET
    public override void Write(ReadOnlySpan<byte> buffer) => _writer.Write(buffer);
#endif
}
