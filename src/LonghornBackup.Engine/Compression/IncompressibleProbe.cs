using K4os.Compression.LZ4;

namespace LonghornBackup.Engine.Compression;

/// <summary>
/// Tells, from a few samples, whether LZ4 would save anything on a block: random data, encrypted volumes and
/// already-compressed files are common in volume snapshots, and LZ4 spends about as long failing to compress them as
/// SHA-512 takes to hash them. The same idea as btrfs' compression heuristic and ZFS' early abort: look before
/// compressing.
/// </summary>
/// <remarks>
/// Eight 8 KiB samples spread evenly over the block (3% of it) are compressed with LZ4's fast level; if none gets
/// smaller by at least 1/32, the block is judged incompressible and stored as it is. A block that compresses only
/// between the samples is then stored uncompressed: still correct, just larger than it could be.
/// </remarks>
internal static class IncompressibleProbe
{
    /// <summary>Blocks shorter than this are always compressed: sampling would cover most of them anyway.</summary>
    public const int MinLength = 256 * 1024;

    private const int Samples = 8;
    private const int SampleBytes = 8 * 1024;

    public static bool LooksIncompressible(ReadOnlySpan<byte> data)
    {
        if (data.Length < MinLength) return false;
        Span<byte> scratch = stackalloc byte[LZ4Codec.MaximumOutputSize(SampleBytes)];
        long stride = (data.Length - SampleBytes) / (Samples - 1);
        for (int i = 0; i < Samples; i++)
        {
            var sample = data.Slice((int)(i * stride), SampleBytes);
            int n = LZ4Codec.Encode(sample, scratch, LZ4Level.L00_FAST);
            if (n > 0 && n <= SampleBytes - SampleBytes / 32) return false;
        }
        return true;
    }
}
