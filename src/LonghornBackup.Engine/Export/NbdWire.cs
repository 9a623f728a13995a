using System.Buffers.Binary;
using System.Text;

namespace LonghornBackup.Engine.Export;

/// <summary>Exact reads and big-endian fields, as every NBD message is laid out (network byte order).</summary>
internal static class NbdWire
{
    /// <summary>Fills the buffer; false when the peer closed the connection before the first byte.</summary>
    public static async Task<bool> ReadExactlyAsync(Stream stream, byte[] buffer, int count, CancellationToken ct)
    {
        int done = 0;
        while (done < count)
        {
            int n = await stream.ReadAsync(buffer, done, count - done, ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (done == 0) return false;
                throw new EndOfStreamException("The NBD client closed the connection in the middle of a message.");
            }
            done += n;
        }
        return true;
    }

    /// <summary>Reads and drops a payload (a write's data, which a read-only export refuses).</summary>
    public static async Task DiscardAsync(Stream stream, long count, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            int want = (int)Math.Min(count, buffer.Length);
            if (!await ReadExactlyAsync(stream, buffer, want, ct).ConfigureAwait(false))
                throw new EndOfStreamException("The NBD client closed the connection in the middle of a write.");
            count -= want;
        }
    }

    public static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
    public static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
    public static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(at));

    /// <summary>Builds one message field by field.</summary>
    public sealed class Writer
    {
        private readonly MemoryStream _buffer = new();

        public Writer U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(b, v); return Put(b); }
        public Writer U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, v); return Put(b); }
        public Writer U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64BigEndian(b, v); return Put(b); }
        public Writer Bytes(byte[] v) { _buffer.Write(v, 0, v.Length); return this; }
        public Writer Text(string v) => Bytes(Encoding.UTF8.GetBytes(v));
        public int Length => (int)_buffer.Length;
        public byte[] ToArray() => _buffer.ToArray();

        private Writer Put(ReadOnlySpan<byte> b)
        {
            foreach (var x in b) _buffer.WriteByte(x);
            return this;
        }
    }
}
