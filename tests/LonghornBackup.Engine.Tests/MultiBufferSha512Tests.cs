using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Hashing;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The multi-buffer SHA-512 must give exactly the platform's SHA-512 for every lane, length and content: a wrong block
/// name would make a backup unrestorable. build.ps1 runs this class twice more, with AVX-512 and then AVX2 disabled
/// for the JIT (DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0), so the shift-based code and the scalar fallback are
/// tested on this machine too.
/// </summary>
[Trait("Category", "VectorHash")]
public class MultiBufferSha512Tests
{
    private static byte[][] Messages(int seed, int length, int count) =>
        Enumerable.Range(0, count).Select(lane => TestImages.RandomBytes(seed * 10 + lane, length)).ToArray();

    private static byte[][] Hash(byte[][] m)
    {
        var digests = new byte[m.Length * 64];
        MultiBufferSha512.HashData(m.Select(x => (ReadOnlyMemory<byte>)x).ToArray(), digests);
        return Enumerable.Range(0, m.Length).Select(lane => digests.AsSpan(lane * 64, 64).ToArray()).ToArray();
    }

    /// <summary>Every lane count this machine runs: up to four take the four-lane code, five to eight the eight-lane.</summary>
    private static IEnumerable<int> LaneCounts() => Enumerable.Range(1, Math.Max(1, MultiBufferSha512.MaxLanes));

    /// <summary>Without AVX2 the vector code must refuse to run rather than compute anything.</summary>
    private static bool RefusedWithoutVectors()
    {
        if (MultiBufferSha512.IsAccelerated) return false;
        Assert.Throws<PlatformNotSupportedException>(() => Hash(Messages(0, 3, 1)));
        return true;
    }

    [Fact]
    public void Runs_the_code_path_this_process_was_started_for()
    {
        // Proves the extra runs in build.ps1 really exercise the other paths.
        bool avx2Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0";
        bool avx512Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0";
        Assert.Equal(Avx2.IsSupported, MultiBufferSha512.IsAccelerated);
        Assert.Equal(Avx512F.IsSupported && Avx512BW.IsSupported ? 8 : Avx2.IsSupported ? 4 : 0, MultiBufferSha512.MaxLanes);
        if (avx2Off) Assert.Equal(0, MultiBufferSha512.MaxLanes);
        if (avx512Off) Assert.False(Avx512F.VL.IsSupported);
    }

    [Fact]
    public void Fips_180_test_vector_abc_in_every_lane()
    {
        if (RefusedWithoutVectors()) return;
        var abc = "abc"u8.ToArray();
        foreach (var digest in Hash(Enumerable.Repeat(abc, MultiBufferSha512.MaxLanes).ToArray()))
            Assert.Equal("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                Convert.ToHexString(digest).ToLowerInvariant());
    }

    [Fact]
    public void Every_length_up_to_five_blocks_matches_the_platform_sha512_in_each_lane()
    {
        if (RefusedWithoutVectors()) return;   // Checksum.OfEach then falls back (tested below)
        // Every padding case: a tail that fits one block (< 112 bytes), one that needs two (112..127), exact blocks.
        foreach (int count in new[] { 4, MultiBufferSha512.MaxLanes }.Distinct())
            for (int length = 0; length <= 5 * 128 + 1; length++)
            {
                var m = Messages(length, length, count);
                var digests = Hash(m);
                for (int lane = 0; lane < count; lane++)
                    Assert.True(SHA512.HashData(m[lane]).AsSpan().SequenceEqual(digests[lane]), $"{count} lanes, length {length}, lane {lane}");
            }
    }

    [Theory]
    [InlineData(2 * 1024 * 1024)]
    [InlineData(2 * 1024 * 1024 + 113)]
    [InlineData(1_000_003)]
    public void Block_sized_messages_match_the_platform_sha512(int length)
    {
        if (RefusedWithoutVectors()) return;
        foreach (int count in LaneCounts())
        {
            var m = Messages(7, length, count);
            if (count > 2) m[2] = m[0];   // the same message in two lanes
            var digests = Hash(m);
            for (int lane = 0; lane < count; lane++)
                Assert.Equal(SHA512.HashData(m[lane]), digests[lane]);
        }
    }

    [Fact]
    public void Messages_of_different_lengths_are_refused()
    {
        if (RefusedWithoutVectors()) return;
        var m = Messages(3, 256, 2);
        m[1] = new byte[255];
        Assert.Throws<ArgumentException>(() => Hash(m));
        Assert.Throws<ArgumentException>(() => Hash(Messages(3, 256, MultiBufferSha512.MaxLanes + 1)));
        Assert.Throws<ArgumentException>(() => Hash([]));
    }

    [Fact]
    public void Checksum_OfEach_names_every_block_as_Checksum_Of_does_in_any_group_size()
    {
        // 1..17 buffers: full groups, short groups (one, two, three, five... left over) and mixed lengths.
        for (int count = 1; count <= 17; count++)
        {
            var buffers = Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)TestImages.RandomBytes(100 + count * 10 + i, 64 * 1024)).ToArray();
            var names = new string[count];
            Checksum.OfEach(buffers, names);
            for (int i = 0; i < count; i++) Assert.Equal(Checksum.Of(buffers[i].Span), names[i]);
        }
        var mixed = new ReadOnlyMemory<byte>[] { new byte[300], TestImages.RandomBytes(1, 300), TestImages.RandomBytes(2, 299), TestImages.RandomBytes(3, 300), new byte[0] };
        var mixedNames = new string[mixed.Length];
        Checksum.OfEach(mixed, mixedNames);
        for (int i = 0; i < mixed.Length; i++) Assert.Equal(Checksum.Of(mixed[i].Span), mixedNames[i]);
    }

    [Fact]
    public void Checksum_OfEach_hashes_slices_not_whole_arrays()
    {
        // The restore hashes blocks that lie inside a larger stored buffer (an uncompressed lz4 frame).
        var backing = TestImages.RandomBytes(5, 4 * 4096 + 100);
        var slices = Enumerable.Range(0, 4).Select(i => new ReadOnlyMemory<byte>(backing, 7 + i * 4096, 4096)).ToArray();
        var names = new string[4];
        Checksum.OfEach(slices, names);
        for (int i = 0; i < 4; i++) Assert.Equal(Checksum.Of(backing.AsSpan(7 + i * 4096, 4096)), names[i]);
    }
}
