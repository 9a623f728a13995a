using System.Buffers;
using LonghornBackup.Engine.Pipeline;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A store whose reads and writes share one bandwidth limit (-MaxBytesPerSecond): object bodies count, listings and
/// other small requests do not. Every engine operation runs unchanged on top of it.
/// </summary>
internal sealed class ThrottledStore : IObjectStore, IBufferedObjectReader
{
    private readonly IObjectStore _inner;
    private readonly TokenBucket _bucket;

    public ThrottledStore(IObjectStore inner, TokenBucket bucket)
    {
        _inner = inner;
        _bucket = bucket;
    }

    public string Location => _inner.Location;
    public bool ReplacesAtomically => _inner.ReplacesAtomically;

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) => _inner.ListAsync(directory, ct);

    public IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, CancellationToken ct) => _inner.ListTreeAsync(directory, ct);

    public async Task<byte[]?> ReadAsync(string key, CancellationToken ct)
    {
        var data = await _inner.ReadAsync(key, ct).ConfigureAwait(false);
        if (data is not null) await _bucket.TakeAsync(data.Length, ct).ConfigureAwait(false);
        return data;
    }

    public async Task<bool> ReadToAsync(string key, ArrayBufferWriter<byte> destination, CancellationToken ct)
    {
        bool found = await _inner.ReadToAsync(key, destination, ct).ConfigureAwait(false);
        if (found) await _bucket.TakeAsync(destination.WrittenCount, ct).ConfigureAwait(false);
        return found;
    }

    public async Task<int> ReadIntoAsync(string key, byte[] destination, CancellationToken ct)
    {
        int length = await _inner.ReadIntoAsync(key, destination, ct).ConfigureAwait(false);
        if (length > 0 && length <= destination.Length) await _bucket.TakeAsync(length, ct).ConfigureAwait(false);
        return length;
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _bucket.TakeAsync(data.Length, ct).ConfigureAwait(false);
        await _inner.WriteAsync(key, data, ct).ConfigureAwait(false);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) => _inner.StatAsync(key, ct);

    public Task DeleteAsync(string key, CancellationToken ct) => _inner.DeleteAsync(key, ct);

    public Task DeleteTreeAsync(string directory, CancellationToken ct) => _inner.DeleteTreeAsync(directory, ct);
}
