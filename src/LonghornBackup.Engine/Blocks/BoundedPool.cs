using System.Collections.Concurrent;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// A fixed number of reusable objects (block buffers, compression outputs) shared by one operation's pipeline
/// stages. Its capacity bounds the operation's memory whatever the volume size: a stage that needs an object waits
/// until another stage gives one back. Objects are created lazily, so a small volume never allocates the whole pool.
/// </summary>
public sealed class BoundedPool<T> : IDisposable where T : class
{
    private readonly ConcurrentBag<T> _free = new();
    private readonly SemaphoreSlim _available;
    private readonly Func<T> _create;

    public BoundedPool(int capacity, Func<T> create)
    {
        Capacity = capacity;
        _create = create;
        _available = new SemaphoreSlim(capacity, capacity);
    }

    public int Capacity { get; }

    public async ValueTask<T> RentAsync(CancellationToken ct)
    {
        await _available.WaitAsync(ct).ConfigureAwait(false);
        return _free.TryTake(out var item) ? item : _create();
    }

    public void Return(T item)
    {
        _free.Add(item);
        _available.Release();
    }

    public void Dispose() => _available.Dispose();
}
