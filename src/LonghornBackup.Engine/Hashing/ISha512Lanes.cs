#if NET8_0_OR_GREATER
using System.Diagnostics.CodeAnalysis;

namespace LonghornBackup.Engine.Hashing;

/// <summary>
/// The vector operations SHA-512 needs, one 64-bit message word per lane, for one instruction set. The algorithm
/// (<see cref="MultiBufferSha512Core{TLanes, TVector}"/>) is written once against this; each implementation is a
/// struct, so the JIT compiles a specialised copy per instruction set and inlines every operation.
/// </summary>
internal interface ISha512Lanes<TVector> where TVector : unmanaged
{
    /// <summary>Messages hashed side by side.</summary>
    static abstract int Lanes { get; }

    static abstract TVector Broadcast(ulong value);

    static abstract TVector Add(TVector x, TVector y);

    static abstract TVector RotateRight(TVector x, [ConstantExpected] byte count);

    static abstract TVector ShiftRight(TVector x, [ConstantExpected] byte count);

    static abstract TVector Xor3(TVector x, TVector y, TVector z);

    /// <summary>(e AND f) XOR (NOT e AND g).</summary>
    static abstract TVector Choose(TVector e, TVector f, TVector g);

    /// <summary>(a AND b) XOR (a AND c) XOR (b AND c).</summary>
    static abstract TVector Majority(TVector a, TVector b, TVector c);

    /// <summary>Words 0..15 of the 128-byte block at <paramref name="offset"/> of every lane's message, big-endian, transposed into w[0..15].</summary>
    static abstract unsafe void LoadBlock(byte** messages, int offset, TVector* w);

    static abstract ulong GetLane(TVector x, int lane);
}
#endif
