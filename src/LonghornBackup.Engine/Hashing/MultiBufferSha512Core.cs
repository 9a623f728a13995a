#if NET8_0_OR_GREATER
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LonghornBackup.Engine.Hashing;

/// <summary>
/// SHA-512 (FIPS 180-4) of <typeparamref name="TLanes"/>.Lanes equal-length messages side by side: message words
/// are transposed so lane i of every vector belongs to message i, and every step of the algorithm is one vector
/// operation of <typeparamref name="TLanes"/>.
/// </summary>
internal static class MultiBufferSha512Core<TLanes, TVector>
    where TLanes : struct, ISha512Lanes<TVector>
    where TVector : unmanaged
{
    private const int BlockBytes = 128;

    private static readonly ulong[] RoundConstants =
    [
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538,
        0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe,
        0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2, 0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
        0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
        0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5, 0x983e5152ee66dfab,
        0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
        0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed,
        0x53380d139d95b3df, 0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
        0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
        0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8, 0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
        0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373,
        0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c,
        0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6,
        0x113f9804bef90dae, 0x1b710b35131c471b, 0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
        0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
    ];

    private static readonly ulong[] InitialState =
    [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    ];

    /// <summary>
    /// Hashes the <paramref name="length"/> bytes at each of the Lanes pointers in <paramref name="messages"/> into
    /// 64-byte digests, lane after lane, in <paramref name="digests"/>.
    /// </summary>
    // Fully optimised from the first call: tier-0 code would run the first hundreds of MB many times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Hash(byte** messages, int length, Span<byte> digests)
    {
        int lanes = TLanes.Lanes;
        var state = stackalloc TVector[8];
        for (int i = 0; i < 8; i++) state[i] = TLanes.Broadcast(InitialState[i]);
        var schedule = stackalloc TVector[80];

        int fullBlocks = length / BlockBytes;
        fixed (ulong* k = RoundConstants)
        {
            for (int b = 0; b < fullBlocks; b++) Compress(state, schedule, k, messages, b * BlockBytes);

            // The tail: the bytes after the last full block, 0x80, zeros, and the length in bits (128-bit big-endian),
            // making one or two more blocks; the same count for every lane because the lengths are equal.
            int rest = length - fullBlocks * BlockBytes;
            int tailBytes = (rest + 17 <= BlockBytes ? 1 : 2) * BlockBytes;
            byte* tails = stackalloc byte[lanes * 2 * BlockBytes];
            new Span<byte>(tails, lanes * 2 * BlockBytes).Clear();
            byte** tailStarts = stackalloc byte*[lanes];
            for (int lane = 0; lane < lanes; lane++)
            {
                byte* tail = tailStarts[lane] = tails + lane * 2 * BlockBytes;
                new ReadOnlySpan<byte>(messages[lane] + fullBlocks * BlockBytes, rest).CopyTo(new Span<byte>(tail, rest));
                tail[rest] = 0x80;
                BinaryPrimitives.WriteUInt64BigEndian(new Span<byte>(tail + tailBytes - 16, 8), (ulong)length >> 61);
                BinaryPrimitives.WriteUInt64BigEndian(new Span<byte>(tail + tailBytes - 8, 8), (ulong)length << 3);
            }
            for (int offset = 0; offset < tailBytes; offset += BlockBytes) Compress(state, schedule, k, tailStarts, offset);
        }

        // Lane i of state word j is word j of digest i.
        for (int j = 0; j < 8; j++)
            for (int lane = 0; lane < lanes; lane++)
                BinaryPrimitives.WriteUInt64BigEndian(digests.Slice(lane * MultiBufferSha512.DigestSize + j * 8, 8), TLanes.GetLane(state[j], lane));
    }

    /// <summary>One 128-byte block of each lane: schedule the 80 words (plus round constants), then run the 80 rounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Compress(TVector* state, TVector* w, ulong* k, byte** messages, int offset)
    {
        TLanes.LoadBlock(messages, offset, w);
        for (int t = 16; t < 80; t++)
            w[t] = TLanes.Add(TLanes.Add(SmallSigma1(w[t - 2]), w[t - 7]), TLanes.Add(SmallSigma0(w[t - 15]), w[t - 16]));
        for (int t = 0; t < 80; t++)
            w[t] = TLanes.Add(w[t], TLanes.Broadcast(k[t]));

        var a = state[0]; var b = state[1]; var c = state[2]; var d = state[3];
        var e = state[4]; var f = state[5]; var g = state[6]; var h = state[7];
        // Eight rounds an iteration, renaming the variables instead of moving them.
        for (int t = 0; t < 80; t += 8)
        {
            Round(a, b, c, ref d, e, f, g, ref h, w[t]);
            Round(h, a, b, ref c, d, e, f, ref g, w[t + 1]);
            Round(g, h, a, ref b, c, d, e, ref f, w[t + 2]);
            Round(f, g, h, ref a, b, c, d, ref e, w[t + 3]);
            Round(e, f, g, ref h, a, b, c, ref d, w[t + 4]);
            Round(d, e, f, ref g, h, a, b, ref c, w[t + 5]);
            Round(c, d, e, ref f, g, h, a, ref b, w[t + 6]);
            Round(b, c, d, ref e, f, g, h, ref a, w[t + 7]);
        }
        state[0] = TLanes.Add(state[0], a); state[1] = TLanes.Add(state[1], b);
        state[2] = TLanes.Add(state[2], c); state[3] = TLanes.Add(state[3], d);
        state[4] = TLanes.Add(state[4], e); state[5] = TLanes.Add(state[5], f);
        state[6] = TLanes.Add(state[6], g); state[7] = TLanes.Add(state[7], h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(TVector a, TVector b, TVector c, ref TVector d, TVector e, TVector f, TVector g, ref TVector h, TVector wk)
    {
        var t1 = TLanes.Add(TLanes.Add(h, wk), TLanes.Add(BigSigma1(e), TLanes.Choose(e, f, g)));
        var t2 = TLanes.Add(BigSigma0(a), TLanes.Majority(a, b, c));
        d = TLanes.Add(d, t1);
        h = TLanes.Add(t1, t2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector BigSigma0(TVector x) => TLanes.Xor3(TLanes.RotateRight(x, 28), TLanes.RotateRight(x, 34), TLanes.RotateRight(x, 39));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector BigSigma1(TVector x) => TLanes.Xor3(TLanes.RotateRight(x, 14), TLanes.RotateRight(x, 18), TLanes.RotateRight(x, 41));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector SmallSigma0(TVector x) => TLanes.Xor3(TLanes.RotateRight(x, 1), TLanes.RotateRight(x, 8), TLanes.ShiftRight(x, 7));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector SmallSigma1(TVector x) => TLanes.Xor3(TLanes.RotateRight(x, 19), TLanes.RotateRight(x, 61), TLanes.ShiftRight(x, 6));
}
#endif
