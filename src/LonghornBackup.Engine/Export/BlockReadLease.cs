namespace LonghornBackup.Engine.Export;

/// <summary>
/// The data of one read, as the pieces it lies in: slices of cached blocks (held until disposed, so the cache
/// cannot reuse them while the reply is being sent) and zeros for holes. Sent as it is, never copied into one buffer.
/// </summary>
internal sealed class BlockReadLease : IDisposable
{
    private readonly List<IDisposable> _held = new();

    public List<ArraySegment<byte>> Segments { get; } = new();

    public void Hold(IDisposable block) => _held.Add(block);

    public void Dispose()
    {
        foreach (var h in _held) h.Dispose();
        _held.Clear();
        Segments.Clear();
    }
}
