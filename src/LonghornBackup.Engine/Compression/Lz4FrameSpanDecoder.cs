using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Decodes one LZ4 frame of the shape Longhorn (pierrec/lz4) and this module write (independent blocks, no
/// dictionary) straight into a caller's buffer with LZ4's raw block decoder: none of the stream decoder's
/// intermediate buffers and copies. A frame whose only block is stored uncompressed (incompressible data) is not
/// copied at all: its content is a slice of the frame. The frame's xxHash32 block and content checksums are not
/// checked, because every caller checks the content's SHA-512, which is stronger.
/// Any other shape, damage, or content larger than the buffer returns false: the caller then falls back to
/// <see cref="Lz4FrameCompressor.Decompress"/>, so odd frames decode and errors read as they always did.
/// </summary>
internal static class Lz4FrameSpanDecoder
{
    private const uint Magic = 0x184D2204;
    private const uint RawBlockFlag = 0x8000_0000;

    /// <summary>Where decoded content is: a slice of the caller's output, or (InFrame) of the frame itself.</summary>
    public readonly record struct Content(bool InFrame, int Start, int Length);

    /// <summary>
    /// True when the frame holds all its content in one block stored uncompressed (what lz4 writes for incompressible
    /// data): the content is <paramref name="frame"/>[start..start + length], nothing to decode or copy.
    /// </summary>
    public static bool TryFindStoredContent(ReadOnlySpan<byte> frame, out int start, out int length)
    {
        start = length = 0;
        if (!TryReadHeader(frame, out int pos, out int maxBlock, out bool blockChecksum, out bool contentChecksum)) return false;
        if (frame.Length - pos < 4) return false;
        uint word = BinaryPrimitives.ReadUInt32LittleEndian(frame[pos..]);
        int size = (int)(word & ~RawBlockFlag);
        if ((word & RawBlockFlag) == 0 || size == 0 || size > maxBlock) return false;
        int end = pos + 4 + size + (blockChecksum ? 4 : 0);   // then the end mark, then the content checksum
        if (end < 0 || frame.Length - end < 4 || BinaryPrimitives.ReadUInt32LittleEndian(frame[end..]) != 0) return false;
        if (end + 4 + (contentChecksum ? 4 : 0) != frame.Length) return false;
        (start, length) = (pos + 4, size);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> frame, Span<byte> output, out Content content)
    {
        content = default;
        if (!TryReadHeader(frame, out int pos, out int maxBlock, out bool blockChecksum, out bool contentChecksum)) return false;

        int written = 0, blocks = 0;
        int deferredStart = -1, deferredLength = 0;   // a first raw block, copied only if another block follows
        while (true)
        {
            if (frame.Length - pos < 4) return false;
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(frame[pos..]);
            pos += 4;
            if (word == 0) break;   // end mark
            int size = (int)(word & ~RawBlockFlag);
            if (size > maxBlock || frame.Length - pos < size + (blockChecksum ? 4 : 0)) return false;
            var block = frame.Slice(pos, size);
            if (deferredStart >= 0)
            {
                frame.Slice(deferredStart, deferredLength).CopyTo(output);
                deferredStart = -1;
            }
            if ((word & RawBlockFlag) != 0)
            {
                if (size > output.Length - written) return false;
                if (blocks == 0) (deferredStart, deferredLength) = (pos, size);
                else block.CopyTo(output[written..]);
                written += size;
            }
            else
            {
                var target = output[written..];
                int n = LZ4Codec.Decode(block, target[..Math.Min(maxBlock, target.Length)]);
                if (n < 0) return false;   // damaged, or more content than the buffer holds
                written += n;
            }
            blocks++;
            pos += size + (blockChecksum ? 4 : 0);
        }
        if (contentChecksum) pos += 4;
        if (pos != frame.Length) return false;   // truncated, or something after the frame
        content = deferredStart >= 0 ? new Content(true, deferredStart, deferredLength) : new Content(false, 0, written);
        return true;
    }

    /// <summary>Checks a frame descriptor this decoder handles; <paramref name="pos"/> is where its first block starts.</summary>
    private static bool TryReadHeader(ReadOnlySpan<byte> frame, out int pos, out int maxBlock, out bool blockChecksum, out bool contentChecksum)
    {
        pos = maxBlock = 0;
        blockChecksum = contentChecksum = false;
        if (frame.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(frame) != Magic) return false;
        byte flg = frame[4], bd = frame[5];
        bool independent = (flg & 0x20) != 0, contentSize = (flg & 0x08) != 0, dictionary = (flg & 0x01) != 0;
        blockChecksum = (flg & 0x10) != 0;
        contentChecksum = (flg & 0x04) != 0;
        if (flg >> 6 != 0b01 || (flg & 0x02) != 0 || (bd & 0x8F) != 0 || !independent || dictionary) return false;
        maxBlock = (bd >> 4) switch { 4 => 64 << 10, 5 => 256 << 10, 6 => 1 << 20, 7 => 4 << 20, _ => 0 };
        if (maxBlock == 0) return false;
        pos = 6 + (contentSize ? 8 : 0);
        if (frame.Length <= pos || frame[pos] != (byte)(XxHash32.HashToUInt32(frame[4..pos]) >> 8)) return false;
        pos++;
        return true;
    }
}
