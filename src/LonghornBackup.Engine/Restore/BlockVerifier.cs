using System.Buffers;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Turns a stored block back into its data and proves it: decompress (with Longhorn's gzip/lz4 fallback),
/// check it is one full block, and check its checksum. Every failure names the block's key.
/// </summary>
internal static class BlockVerifier
{
    /// <summary>
    /// Reads of a block, in all, before its damage is taken as the store's rather than the transfer's: block bodies
    /// are not checked in transit (see IBufferedObjectReader), so a restore or a deep check reads a block that fails
    /// here again.
    /// </summary>
    public const int ReadAttempts = 3;

    /// <summary>
    /// Reads a block into <paramref name="stored"/>, decodes and verifies it, reading it again while that fails, up to
    /// <see cref="ReadAttempts"/> reads in all counting the <paramref name="readsSoFar"/> the caller made. Returns the
    /// verified block, or null when the block is not in the store; the last read's failure is thrown.
    /// <paramref name="onRead"/> gets the stored size of every read.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadVerifiedAsync(IObjectStore store, string key, string checksum, string method,
        int blockSize, ArrayBufferWriter<byte> stored, ArrayBufferWriter<byte> decoded, int readsSoFar, Action<int> onRead, CancellationToken ct)
    {
        for (int attempt = readsSoFar + 1; ; attempt++)
        {
            if (!await store.ReadToAsync(key, stored, ct).ConfigureAwait(false)) return null;
            onRead(stored.WrittenCount);
            try
            {
                return DecodeAndVerify(method, checksum, key, stored.WrittenMemory, blockSize, decoded);
            }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData && attempt < ReadAttempts)
            {
            }
        }
    }

    public static void DecompressAndVerify(string method, string checksum, string key, ReadOnlyMemory<byte> stored,
        int blockSize, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        Decompress(method, checksum, key, stored, output, blockSize);
        CheckLength(checksum, key, output.WrittenCount, blockSize);
        CheckChecksum(checksum, key, Checksum.Of(output.WrittenSpan));
    }

    private static void Decompress(string method, string checksum, string key, ReadOnlyMemory<byte> stored, ArrayBufferWriter<byte> output,
        int blockSize)
    {
        try
        {
            // Twice a block is far more than any stored block holds, so CheckLength names the size of a block that is a
            // little too long; a bomb stops there and never fills memory.
            CompressionMethods.ForStoredBlock(method, stored.Span).Decompress(stored, new BoundedBufferWriter(output, 2 * blockSize));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new LonghornBackupException(ErrorIds.BlockDecompressionFailed, ErrorKind.InvalidData,
                $"Block {checksum} is corrupt in the store: it cannot be decompressed as {method} ({e.Message}). Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.", e);
        }
    }

    /// <summary>
    /// <see cref="DecompressAndVerify"/> for the restore's hot path: the same checks and errors, but the verified block
    /// is returned where it lies (see <see cref="Decode"/>).
    /// </summary>
    public static ReadOnlyMemory<byte> DecodeAndVerify(string method, string checksum, string key, ReadOnlyMemory<byte> stored,
        int blockSize, ArrayBufferWriter<byte> scratch)
    {
        var data = Decode(method, checksum, key, stored, blockSize, scratch);
        CheckChecksum(checksum, key, Checksum.Of(data.Span));
        return data;
    }

    /// <summary>
    /// Decodes a stored block and checks it is one full block, leaving its checksum to the caller (who may hash
    /// several blocks at once, then calls <see cref="CheckChecksum"/>). Stored bytes that hold the block as it is
    /// (method none, or an lz4 frame with one uncompressed block, as incompressible data is stored) are not copied;
    /// other lz4 frames decode straight into <paramref name="scratch"/>; anything else goes through the method's
    /// full decoder into it.
    /// </summary>
    public static ReadOnlyMemory<byte> Decode(string method, string checksum, string key, ReadOnlyMemory<byte> stored,
        int blockSize, ArrayBufferWriter<byte> scratch)
    {
        var decoder = CompressionMethods.ForStoredBlock(method, stored.Span);
        ReadOnlyMemory<byte> data;
        if (decoder.Name == CompressionMethods.None) data = stored;
        else if (decoder.Name != CompressionMethods.Lz4 || !TryDecodeLz4(stored, blockSize, scratch, out data))
        {
            scratch.ResetWrittenCount();
            Decompress(method, checksum, key, stored, scratch, blockSize);
            data = scratch.WrittenMemory;
        }
        CheckLength(checksum, key, data.Length, blockSize);
        return data;
    }

    private static bool TryDecodeLz4(ReadOnlyMemory<byte> stored, int blockSize, ArrayBufferWriter<byte> scratch, out ReadOnlyMemory<byte> data)
    {
        scratch.ResetWrittenCount();
        // Exactly one block of room: a frame holding more is refused here and reported by the full decoder.
        if (!Lz4FrameSpanDecoder.TryDecode(stored.Span, scratch.GetSpan(blockSize)[..blockSize], out var content))
        {
            data = default;
            return false;
        }
        if (content.InFrame) data = stored.Slice(content.Start, content.Length);
        else
        {
            scratch.Advance(content.Length);
            data = scratch.WrittenMemory;
        }
        return true;
    }

    private static void CheckLength(string checksum, string key, int length, int blockSize)
    {
        if (length != blockSize)
            throw new LonghornBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"Block {checksum} is corrupt in the store: it holds {length} bytes, not one {blockSize}-byte block. Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.");
    }

    /// <summary>Fails unless the block's content hashed to the checksum it is stored under.</summary>
    public static void CheckChecksum(string checksum, string key, string actual)
    {
        if (actual != checksum)
            throw new LonghornBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"Checksum verification failed for block {checksum}: its content hashes to {actual}. Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.");
    }
}
