using System.Security.Cryptography;
using LonghornBackup.Engine.Hashing;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// Longhorn's "checksum": SHA-512 of the input, lower-case hex, truncated to 64 characters
/// (backupstore util.GetChecksum). Names blocks and hashes volume directories.
/// </summary>
public static class Checksum
{
    public const int Length = 64;

    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[64];
        SHA512.HashData(data, hash);
        // 64 hex characters = the first 32 bytes of the digest.
        return ToChecksum(hash);
    }

    /// <summary>
    /// The checksums of <paramref name="buffers"/> into <paramref name="checksums"/>: equal-length buffers go through
    /// <see cref="MultiBufferSha512"/> in groups when this machine runs it, the rest one at a time.
    /// </summary>
    public static void OfEach(ReadOnlySpan<ReadOnlyMemory<byte>> buffers, Span<string> checksums)
    {
        if (checksums.Length < buffers.Length) throw new ArgumentException("One checksum slot per buffer is needed.", nameof(checksums));
        Span<byte> digests = stackalloc byte[Math.Max(1, MultiBufferSha512.MaxLanes) * MultiBufferSha512.DigestSize];
        int i = 0;
        // A group pays for all its lanes, so fewer than MinGroup messages are faster one at a time.
        while (MultiBufferSha512.IsAccelerated && buffers.Length - i >= MinGroup)
        {
            var group = buffers.Slice(i, Math.Min(MultiBufferSha512.MaxLanes, buffers.Length - i));
            if (!SameLength(group)) break;
            MultiBufferSha512.HashData(group, digests);
            for (int lane = 0; lane < group.Length; lane++)
                checksums[i + lane] = ToChecksum(digests.Slice(lane * MultiBufferSha512.DigestSize, MultiBufferSha512.DigestSize));
            i += group.Length;
        }
        for (; i < buffers.Length; i++) checksums[i] = Of(buffers[i].Span);
    }

    /// <summary>The smallest group worth a multi-buffer call (measured: three lanes beat three single SHA-512s).</summary>
    private const int MinGroup = 3;

    /// <summary>
    /// How many buffers of <paramref name="bufferSize"/> bytes each of <paramref name="workers"/> workers should hash
    /// together: a multi-buffer group when the machine runs it and all workers' groups fit in 32 MiB (2 MiB blocks on
    /// two cores do, 16 MiB blocks are hashed one by one), else one.
    /// </summary>
    public static int BatchSize(int bufferSize, int workers)
    {
        // The widest group that fits (eight lanes with AVX-512, else four), so long as it is worth a group at all.
        for (int lanes = MultiBufferSha512.MaxLanes; lanes >= MinGroup; lanes /= 2)
            if ((long)bufferSize * lanes * Math.Max(1, workers) <= MaxBatchBytes) return lanes;
        return 1;
    }

    private const long MaxBatchBytes = 32L * 1024 * 1024;

    private static bool SameLength(ReadOnlySpan<ReadOnlyMemory<byte>> group)
    {
        foreach (var b in group) if (b.Length != group[0].Length) return false;
        return true;
    }

    private static string ToChecksum(ReadOnlySpan<byte> digest) => Convert.ToHexString(digest[..32]).ToLowerInvariant();

    public static string OfString(string text) => Of(System.Text.Encoding.UTF8.GetBytes(text));

    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != Length) return false;
        foreach (char c in value)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        return true;
    }
}
