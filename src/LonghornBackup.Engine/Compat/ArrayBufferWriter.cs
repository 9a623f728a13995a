namespace System.Buffers;

/// <summary>
/// .NET Framework's System.Memory keeps ArrayBufferWriter internal; this is the same contract (a growable array
/// the engine reuses as a block buffer). Compiled for net472 only.
/// </summary>
internal sealed class ArrayBufferWriter<T> : IBufferWriter<T>
{
    private T[] _buffer;
    private int _index;

    public ArrayBufferWriter(int initialCapacity = 256)
    {
        if (initialCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(initialCapacity));
        _buffer = new T[initialCapacity];
    }

    public ReadOnlyMemory<T> WrittenMemory => _buffer.AsMemory(0, _index);
    public ReadOnlySpan<T> WrittenSpan => _buffer.AsSpan(0, _index);
    public int WrittenCount => _index;
    public int Capacity => _buffer.Length;
    public int FreeCapacity => _buffer.Length - _index;

    public void Clear()
    {
        _buffer.AsSpan(0, _index).Clear();
        _index = 0;
    }

    public void ResetWrittenCount() => _index = 0;

    public void Advance(int count)
    {
        if (count < 0 || _index > _buffer.Length - count) throw new ArgumentOutOfRangeException(nameof(count));
        _index += count;
    }

    public Memory<T> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsMemory(_index);
    }

    public Span<T> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsSpan(_index);
    }

    private void Grow(int sizeHint)
    {
        if (sizeHint < 0) throw new ArgumentOutOfRangeException(nameof(sizeHint));
        if (sizeHint == 0) sizeHint = 1;
        if (sizeHint <= FreeCapacity) return;
        int needed = checked(_index + sizeHint);
        int size = Math.Max(needed, Math.Min(int.MaxValue / 2, _buffer.Length) * 2);
        Array.Resize(ref _buffer, size);
    }
}
