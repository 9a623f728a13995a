using System.Buffers;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// One block compression method of the backupstore (docs/backupstore-format.md §3.3). Implementations are stateless and thread-safe;
/// callers pass their own reusable output buffers so the hot path allocates nothing per block.
/// </summary>
public interface ICompressor
{
    /// <summary>The method's name as stored in volume.cfg: "lz4", "gzip" or "none".</summary>
    string Name { get; }

    /// <summary>Appends the stored form of <paramref name="block"/> to <paramref name="output"/>.</summary>
    void Compress(ReadOnlySpan<byte> block, IBufferWriter<byte> output);

    /// <summary>Appends the decompressed bytes of <paramref name="stored"/>; throws InvalidDataException on a bad stream.</summary>
    void Decompress(ReadOnlyMemory<byte> stored, IBufferWriter<byte> output);
}
