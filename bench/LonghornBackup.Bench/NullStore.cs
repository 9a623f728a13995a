using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Bench;

/// <summary>
/// The benchmark's null sink: a store that is always empty and discards every write, so a backup to it measures
/// everything but the write itself (read, zero detection, hashing, compression, the pipeline).
/// </summary>
internal sealed class NullStore : IObjectStore
{
    public string Location => "null";
    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<StoreEntry>>(Array.Empty<StoreEntry>());
#pragma warning disable CS1998
    public async IAsyncEnumerable<string> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct) { yield break; }
#pragma warning restore CS1998
    public Task<byte[]?> ReadAsync(string key, CancellationToken ct) => Task.FromResult<byte[]?>(null);
    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct) => Task.CompletedTask;
    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct) => Task.FromResult<ObjectInfo?>(null);
    public Task DeleteAsync(string key, CancellationToken ct) => Task.CompletedTask;
    public Task DeleteTreeAsync(string directory, CancellationToken ct) => Task.CompletedTask;
}
