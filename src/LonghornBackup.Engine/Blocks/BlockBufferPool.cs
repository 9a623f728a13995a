using System.Collections.Concurrent;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// A bounded set of block-sized buffers shared by one operation's pipeline stages. Its capacity bounds the
/// operation's memory, whatever the volume size: a stage that needs a buffer waits until one comes back.
/// </summary>
public sealed class BlockBufferPool : IDisposable
{
    private readonly ConcurrentBag<byte[]> _free = new();
    private readonly SemaphoreSlim _available;

    public BlockBufferPool(int blockSize, int capacity)
    {
        BlockSize = blockSize;
        Capacity = capacity;
        _available = new SemaphoreSlim(capacity, capacity);
    }

    public int BlockSize { get; }
    public int Capacity { get; }

    public async ValueTask<byte[]> RentAsync(CancellationToken ct)
    {
        await _available.WaitAsync(ct).ConfigureAwait(false);
        return _free.TryTake(out var buffer) ? buffer : GC.AllocateUninitializedArray<byte>(BlockSize);
    }

    public void Return(byte[] buffer)
    {
        _free.Add(buffer);
        _available.Release();
    }

    public void Dispose() => _available.Dispose();
}
