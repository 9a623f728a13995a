using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Bench;

/// <summary>
/// Counts the requests an operation makes of its store, by type, and the bytes moved. It passes in-place reads
/// through (IBufferedObjectReader), or every block read would be measured as a whole-object read and copy.
/// </summary>
internal sealed class CountingStore : IObjectStore, IBufferedObjectReader
{
    private readonly IObjectStore _inner;
    public long Lists, TreeLists, TreeEntries, Reads, Writes, Stats, Deletes, BytesWritten, BytesRead;

    public CountingStore(IObjectStore inner) => _inner = inner;
    public string Location => _inner.Location;
    public bool ReplacesAtomically => _inner.ReplacesAtomically;

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct)
    {
        Interlocked.Increment(ref Lists);
        return _inner.ListAsync(directory, ct);
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref TreeLists);
        await foreach (var entry in _inner.ListTreeAsync(directory, ct))
        {
            Interlocked.Increment(ref TreeEntries);   // S3 and Azure page these 1000 at a time: entries / 1000 requests
            yield return entry;
        }
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken ct)
    {
        Interlocked.Increment(ref Reads);
        var data = await _inner.ReadAsync(key, ct);
        if (data is not null) Interlocked.Add(ref BytesRead, data.Length);
        return data;
    }

    public async Task<bool> ReadToAsync(string key, System.Buffers.ArrayBufferWriter<byte> destination, CancellationToken ct)
    {
        Interlocked.Increment(ref Reads);
        bool found = await _inner.ReadToAsync(key, destination, ct);
        Interlocked.Add(ref BytesRead, destination.WrittenCount);
        return found;
    }

    public async Task<int> ReadIntoAsync(string key, byte[] destination, CancellationToken ct)
    {
        Interlocked.Increment(ref Reads);
        int length = await _inner.ReadIntoAsync(key, destination, ct);
        if (length > 0 && length <= destination.Length) Interlocked.Add(ref BytesRead, length);
        return length;
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        Interlocked.Increment(ref Writes);
        Interlocked.Add(ref BytesWritten, data.Length);
        return _inner.WriteAsync(key, data, ct);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct)
    {
        Interlocked.Increment(ref Stats);
        return _inner.StatAsync(key, ct);
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        Interlocked.Increment(ref Deletes);
        return _inner.DeleteAsync(key, ct);
    }

    public Task DeleteTreeAsync(string directory, CancellationToken ct)
    {
        Interlocked.Increment(ref Deletes);
        return _inner.DeleteTreeAsync(directory, ct);
    }

    public object Snapshot() => new
    {
        Lists, TreeLists, TreeEntries, Reads, Writes, Stats, Deletes, BytesWritten, BytesRead,
    };
}
