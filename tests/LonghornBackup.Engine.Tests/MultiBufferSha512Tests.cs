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
    private static byte[][] Messages(int seed, int length) =>
        Enumerable.Range(0, 4).Select(lane => TestImages.RandomBytes(seed * 10 + lane, length)).ToArray();

    private static byte[][] HashFour(byte[][] m)
    {
        var digests = new byte[4 * 64];
        MultiBufferSha512.HashData(m[0], m[1], m[2], m[3], digests);
        return Enumerable.Range(0, 4).Select(lane => digests.AsSpan(lane * 64, 64).ToArray()).ToArray();
    }

    /// <summary>Without AVX2 the vector code must refuse to run rather than compute anything.</summary>
    private static bool RefusedWithoutVectors()
    {
        if (MultiBufferSha512.IsAccelerated) return false;
        Assert.Throws<PlatformNotSupportedException>(() => HashFour(Messages(0, 3)));
        return true;
    }

    [Fact]
    public void Runs_the_code_path_this_process_was_started_for()
    {
        // Proves the extra runs in build.ps1 really exercise the other paths.
        bool avx2Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0";
        bool avx512Off = Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0";
        Assert.Equal(Avx2.IsSupported, MultiBufferSha512.IsAccelerated);
        if (avx2Off) Assert.False(MultiBufferSha512.IsAccelerated);
        if (avx512Off) Assert.False(Avx512F.VL.IsSupported);
    }

    [Fact]
    public void Fips_180_test_vector_abc_in_every_lane()
    {
        if (RefusedWithoutVectors()) return;
        var abc = "abc"u8.ToArray();
        foreach (var digest in HashFour([abc, abc, abc, abc]))
            Assert.Equal("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                Convert.ToHexString(digest).ToLowerInvariant());
    }

    [Fact]
    public void Every_length_up_to_five_blocks_matches_the_platform_sha512_in_each_lane()
    {
        if (RefusedWithoutVectors()) return;   // Checksum.OfEach then falls back (tested below)
        // Every padding case: a tail that fits one block (< 112 bytes), one that needs two (112..127), exact blocks.
        for (int length = 0; length <= 5 * 128 + 1; length++)
        {
            var m = Messages(length, length);
            var digests = HashFour(m);
            for (int lane = 0; lane < 4; lane++)
                Assert.True(SHA512.HashData(m[lane]).AsSpan().SequenceEqual(digests[lane]), $"length {length}, lane {lane}");
        }
    }

    [Theory]
    [InlineData(2 * 1024 * 1024)]
    [InlineData(2 * 1024 * 1024 + 113)]
    [InlineData(1_000_003)]
    public void Block_sized_messages_match_the_platform_sha512(int length)
    {
        if (RefusedWithoutVectors()) return;
        var m = Messages(7, length);
        m[2] = m[0];   // the same message in two lanes, as a short group passes it
        var digests = HashFour(m);
        for (int lane = 0; lane < 4; lane++)
            Assert.Equal(SHA512.HashData(m[lane]), digests[lane]);
    }

    [Fact]
    public void Messages_of_different_lengths_are_refused()
    {
        if (RefusedWithoutVectors()) return;
        var m = Messages(3, 256);
        m[3] = new byte[255];
        Assert.Throws<ArgumentException>(() => HashFour(m));
    }

    [Fact]
    public void Checksum_OfEach_names_every_block_as_Checksum_Of_does_in_any_group_size()
    {
        // 1..9 buffers: full groups of four, short groups (one, two, three left over) and mixed lengths.
        for (int count = 1; count <= 9; count++)
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
