#if NET8_0_OR_GREATER
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LonghornBackup.Engine.Hashing;

/// <summary>
/// Four lanes in 256-bit vectors: AVX2, with AVX-512VL's one-instruction rotates and three-input logic where the
/// machine has them (the JIT keeps one branch of each IsSupported test).
/// </summary>
internal readonly struct Avx2Sha512Lanes : ISha512Lanes<Vector256<ulong>>
{
    public static int Lanes => 4;

    public static bool IsSupported => Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Broadcast(ulong value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Add(Vector256<ulong> x, Vector256<ulong> y) => Avx2.Add(x, y);

    // Always inlined into calls with a literal count, so 64 - count folds to a constant too (CA1857 cannot see that).
#pragma warning disable CA1857
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> RotateRight(Vector256<ulong> x, [ConstantExpected] byte count) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateRight(x, count) : Avx2.ShiftRightLogical(x, count) | Avx2.ShiftLeftLogical(x, (byte)(64 - count));
#pragma warning restore CA1857

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> ShiftRight(Vector256<ulong> x, [ConstantExpected] byte count) => Avx2.ShiftRightLogical(x, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Xor3(Vector256<ulong> x, Vector256<ulong> y, Vector256<ulong> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(x, y, z, 0x96) : x ^ y ^ z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Choose(Vector256<ulong> e, Vector256<ulong> f, Vector256<ulong> g) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(e, f, g, 0xCA) : g ^ (e & (f ^ g));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Majority(Vector256<ulong> a, Vector256<ulong> b, Vector256<ulong> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0xE8) : (a & b) | (c & (a | b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void LoadBlock(byte** messages, int offset, Vector256<ulong>* w)
    {
        // Four words of each lane at a time, then a 4x4 transpose: w[i + j] holds word i + j of every lane.
        for (int i = 0; i < 16; i += 4)
        {
            var r0 = ByteSwap(Avx.LoadVector256((ulong*)(messages[0] + offset + i * 8)));
            var r1 = ByteSwap(Avx.LoadVector256((ulong*)(messages[1] + offset + i * 8)));
            var r2 = ByteSwap(Avx.LoadVector256((ulong*)(messages[2] + offset + i * 8)));
            var r3 = ByteSwap(Avx.LoadVector256((ulong*)(messages[3] + offset + i * 8)));
            var t0 = Avx2.UnpackLow(r0, r1);    // a0 b0 a2 b2
            var t1 = Avx2.UnpackHigh(r0, r1);   // a1 b1 a3 b3
            var t2 = Avx2.UnpackLow(r2, r3);    // c0 d0 c2 d2
            var t3 = Avx2.UnpackHigh(r2, r3);   // c1 d1 c3 d3
            w[i] = Avx2.Permute2x128(t0, t2, 0x20);
            w[i + 1] = Avx2.Permute2x128(t1, t3, 0x20);
            w[i + 2] = Avx2.Permute2x128(t0, t2, 0x31);
            w[i + 3] = Avx2.Permute2x128(t1, t3, 0x31);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GetLane(Vector256<ulong> x, int lane) => x.GetElement(lane);

    private static readonly Vector256<byte> ByteSwapMask = Vector256.Create(
        (byte)7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> ByteSwap(Vector256<ulong> x) => Avx2.Shuffle(x.AsByte(), ByteSwapMask).AsUInt64();
}
#endif
