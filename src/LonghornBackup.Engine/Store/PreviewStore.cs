using System.Runtime.CompilerServices;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A dry run's view of a store: reads and listings pass through, writes and deletes are dropped. An operation run
/// over it computes everything it would do (checksums, compressed sizes, what is new to the store) and changes nothing.
/// </summary>
public sealed class PreviewStore : IObjectStore
{
    private readonly IObjectStore _inner;

    public PreviewStore(IObjectStore inner) => _inner = inner;

    public string Location => _inner.Location;
    public bool ReplacesAtomically => _inner.ReplacesAtomically;
    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) => _inner.ListAsync(directory, ct);
    public IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, CancellationToken ct) => _inner.ListTreeAsync(directory, ct);
    public Task<byte[]?> ReadAsync(string key, CancellationToken ct) => _inner.ReadAsync(key, ct);
    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) => _inner.StatAsync(key, ct);
    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct) => Task.CompletedTask;
    public Task DeleteAsync(string key, CancellationToken ct) => Task.CompletedTask;
    public Task DeleteTreeAsync(string directory, CancellationToken ct) => Task.CompletedTask;
}
