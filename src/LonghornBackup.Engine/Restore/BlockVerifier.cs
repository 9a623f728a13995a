using System.Buffers;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Turns a stored block back into its data and proves it: decompress (with Longhorn's gzip/lz4 fallback),
/// check it is one full block, and check its checksum. Every failure names the block's key.
/// </summary>
internal static class BlockVerifier
{
    public static void DecompressAndVerify(string method, string checksum, string key, ReadOnlyMemory<byte> stored,
        int blockSize, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        try
        {
            CompressionMethods.ForStoredBlock(method, stored.Span).Decompress(stored, output);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new LonghornBackupException(ErrorIds.BlockDecompressionFailed, ErrorKind.InvalidData,
                $"Block {checksum} is corrupt in the store: it cannot be decompressed as {method} ({e.Message}). Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.", e);
        }
        if (output.WrittenCount != blockSize)
            throw new LonghornBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"Block {checksum} is corrupt in the store: it holds {output.WrittenCount} bytes, not one {blockSize}-byte block. Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.");
        string actual = Checksum.Of(output.WrittenSpan);
        if (actual != checksum)
            throw new LonghornBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"Checksum verification failed for block {checksum}: its content hashes to {actual}. Block file: {key}",
                key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the block.");
    }
}
