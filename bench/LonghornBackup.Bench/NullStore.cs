using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Bench;

/// <summary>
/// The benchmark's null sink: a store that discards the bytes of every write, so a backup to it measures everything
/// but the write itself (read, zero detection, hashing, compression, the pipeline). It remembers the keys written,
/// so listings show what a real store would (a backup checks its blocks are there before it commits).
/// </summary>
internal sealed class NullStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

    public string Location => "null";
    public bool ReplacesAtomically => true;

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<StoreEntry>>(Below(directory)
            .Select(rel => rel.Split('/') is var parts && parts.Length == 1 ? new StoreEntry(rel, false) : new StoreEntry(parts[0], true))
            .Distinct().ToList());

#pragma warning disable CS1998
    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var rel in Below(directory)) yield return new StoredObject(rel, 0);   // the bytes were never kept
    }
#pragma warning restore CS1998

    public Task<byte[]?> ReadAsync(string key, CancellationToken ct) => Task.FromResult<byte[]?>(null);

    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        _keys[key] = 0;
        return Task.CompletedTask;
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) => Task.FromResult<ObjectInfo?>(null);

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        _keys.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    public Task DeleteTreeAsync(string directory, CancellationToken ct)
    {
        foreach (var rel in Below(directory)) _keys.TryRemove(Prefix(directory) + rel, out _);
        return Task.CompletedTask;
    }

    private static string Prefix(string directory) => directory.Length == 0 || directory.EndsWith('/') ? directory : directory + "/";

    private IEnumerable<string> Below(string directory)
    {
        string prefix = Prefix(directory);
        return _keys.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]).ToList();
    }
}
