using System.Runtime.CompilerServices;

namespace System.Collections.Generic;

/// <summary>.NET Framework lacks ReferenceEqualityComparer: compares by object identity. Compiled for net472 only.</summary>
internal sealed class ReferenceEqualityComparer : IEqualityComparer<object?>
{
    public static ReferenceEqualityComparer Instance { get; } = new();
    public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);
    public int GetHashCode(object? obj) => RuntimeHelpers.GetHashCode(obj!);
}
