namespace System;

/// <summary>
/// .NET Framework lacks System.UInt128; the engine only stores XXH128 values in it, compares them and splits them
/// into halves, so this is all it needs. Compiled for net472 only.
/// </summary>
internal readonly struct UInt128 : IEquatable<UInt128>
{
    private readonly ulong _upper;
    private readonly ulong _lower;

    public UInt128(ulong upper, ulong lower)
    {
        _upper = upper;
        _lower = lower;
    }

    public static UInt128 operator >>(UInt128 value, int shift) => (shift & 127) switch
    {
        0 => value,
        64 => new UInt128(0, value._upper),
        < 64 and var s => new UInt128(value._upper >> s, (value._lower >> s) | (value._upper << (64 - s))),
        var s => new UInt128(0, value._upper >> (s - 64)),
    };

    public static explicit operator ulong(UInt128 value) => value._lower;

    public static bool operator ==(UInt128 a, UInt128 b) => a.Equals(b);
    public static bool operator !=(UInt128 a, UInt128 b) => !a.Equals(b);
    public bool Equals(UInt128 other) => _upper == other._upper && _lower == other._lower;
    public override bool Equals(object? obj) => obj is UInt128 other && Equals(other);
    public override int GetHashCode() => (_upper ^ (_lower * 0x9E3779B97F4A7C15UL)).GetHashCode();
}
