using System.Buffers;
#if NET8_0_OR_GREATER
using System.Runtime.Intrinsics;
#endif

namespace LonghornBackup.Engine.Hashing;

/// <summary>
/// SHA-512 (FIPS 180-4) of several equal-length messages at once, one message per 64-bit lane of a vector: eight
/// with AVX-512, four with AVX2.
/// </summary>
/// <remarks>
/// Why this exists: a backup names every 2 MiB block by its SHA-512, and one SHA-512 runs strictly sequentially
/// (each 128-byte block depends on the previous one), so OpenSSL's single-stream code is bound by latency at about
/// 0.85 GB/s a core here. Independent blocks hashed side by side keep the vector units busy instead: 1.4 GB/s on one
/// core with four lanes (AVX-512VL), 2.0 GB/s with eight (2.7 GB/s on both cores, where OpenSSL gives 1.2). No
/// library for .NET offers a multi-buffer SHA-512, so it
/// is written here (<see cref="MultiBufferSha512Core{TLanes, TVector}"/>); tests compare it with the platform's
/// SHA-512 on many lengths, contents and lane counts. Without AVX2 (or on .NET Framework) <see cref="IsAccelerated"/>
/// is false and callers use the platform SHA-512.
/// </remarks>
public static class MultiBufferSha512
{
    public const int DigestSize = 64;

#if NET8_0_OR_GREATER
    /// <summary>The most messages one call hashes: 8 with AVX-512, 4 with AVX2, 0 on a machine without either.</summary>
    public static int MaxLanes { get; } =
        Avx512Sha512Lanes.IsSupported ? Avx512Sha512Lanes.Lanes : Avx2Sha512Lanes.IsSupported ? Avx2Sha512Lanes.Lanes : 0;
#else
    /// <summary>.NET Framework has no vector intrinsics: callers use the platform SHA-512.</summary>
    public static int MaxLanes => 0;
#endif

    /// <summary>True when this machine runs the vector code.</summary>
    public static bool IsAccelerated => MaxLanes > 0;

    /// <summary>
    /// Writes SHA-512 of each of <paramref name="messages"/> (1 to <see cref="MaxLanes"/>, all the same length) to
    /// consecutive 64-byte slices of <paramref name="digests"/>. Up to four use the four-lane code, more the eight-lane.
    /// </summary>
    public static unsafe void HashData(ReadOnlySpan<ReadOnlyMemory<byte>> messages, Span<byte> digests)
    {
        if (!IsAccelerated) throw new PlatformNotSupportedException("Multi-buffer SHA-512 needs AVX2 and .NET 8 or later.");
        int count = messages.Length;
        if (count < 1 || count > MaxLanes) throw new ArgumentException($"Between 1 and {MaxLanes} messages can be hashed at once.", nameof(messages));
        int length = messages[0].Length;
        foreach (var m in messages)
            if (m.Length != length) throw new ArgumentException("The messages must have the same length.", nameof(messages));
        if (digests.Length < count * DigestSize) throw new ArgumentException($"Room for {count} 64-byte digests is needed.", nameof(digests));
#if NET8_0_OR_GREATER
        int lanes = count <= Avx2Sha512Lanes.Lanes ? Avx2Sha512Lanes.Lanes : Avx512Sha512Lanes.Lanes;
        var pins = new MemoryHandle[count];
        try
        {
            byte** pointers = stackalloc byte*[lanes];
            for (int i = 0; i < count; i++)
            {
                pins[i] = messages[i].Pin();
                pointers[i] = (byte*)pins[i].Pointer;
            }
            // Lanes without a message of their own hash the first one again; their digests are dropped.
            for (int i = count; i < lanes; i++) pointers[i] = pointers[0];
            Span<byte> all = stackalloc byte[lanes * DigestSize];
            if (lanes == Avx2Sha512Lanes.Lanes) MultiBufferSha512Core<Avx2Sha512Lanes, Vector256<ulong>>.Hash(pointers, length, all);
            else MultiBufferSha512Core<Avx512Sha512Lanes, Vector512<ulong>>.Hash(pointers, length, all);
            all[..(count * DigestSize)].CopyTo(digests);
        }
        finally
        {
            foreach (var pin in pins) pin.Dispose();
        }
#endif
    }
}
