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
/// smaller by at least 1/32, the block is judged incompressible and stored as it is. For a method that also codes
/// bytes by their frequency (gzip's Huffman stage gains on hex or base64, where LZ4 finds no repeats), the samples'
/// bytes must in addition be spread as evenly as random data's. A block that compresses only between the samples is
/// then stored uncompressed: still correct, just larger than it could be.
/// </remarks>
internal static class IncompressibleProbe
{
    /// <summary>Blocks shorter than this are always compressed: sampling would cover most of them anyway.</summary>
    public const int MinLength = 256 * 1024;

    private const int Samples = 8;
    private const int SampleBytes = 8 * 1024;

    /// <summary>
    /// Bits of entropy a byte at least, over the samples, for data judged incompressible by an entropy coder: random
    /// bytes measure 7.997 over 64 KiB, compressed files about as much, base64 6, hex 4, text 4 to 5.
    /// </summary>
    private const double RandomEntropyBits = 7.9;

    /// <param name="data">The block.</param>
    /// <param name="entropyCoded">The method codes bytes by frequency (gzip), so skewed byte counts are compressible too.</param>
    public static bool LooksIncompressible(ReadOnlySpan<byte> data, bool entropyCoded = false)
    {
        if (data.Length < MinLength) return false;
        Span<byte> scratch = stackalloc byte[LZ4Codec.MaximumOutputSize(SampleBytes)];
        Span<int> counts = stackalloc int[256];
        counts.Clear();
        long stride = (data.Length - SampleBytes) / (Samples - 1);
        for (int i = 0; i < Samples; i++)
        {
            var sample = data.Slice((int)(i * stride), SampleBytes);
            int n = LZ4Codec.Encode(sample, scratch, LZ4Level.L00_FAST);
            if (n > 0 && n <= SampleBytes - SampleBytes / 32) return false;
            if (entropyCoded) foreach (byte b in sample) counts[b]++;
        }
        return !entropyCoded || EntropyBits(counts, Samples * SampleBytes) >= RandomEntropyBits;
    }

    private static double EntropyBits(ReadOnlySpan<int> counts, int total)
    {
        double bits = 0;
        foreach (int c in counts)
        {
            if (c == 0) continue;
            double p = (double)c / total;
            bits -= p * Math.Log(p, 2);
        }
        return bits;
    }
}
