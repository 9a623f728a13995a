using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A store whose times come from a clock that differs from this machine's: every modification time it reports is
/// shifted by <paramref name="skew"/>, selected keys (<see cref="Aged"/>) by their own amount on top. A test ages
/// objects this way on any driver, where it cannot set an object's time.
/// </summary>
internal sealed class SkewedStore(IObjectStore inner, TimeSpan skew = default) : IObjectStore
{
    /// <summary>Keys made to look older by the given amount (objects a killed run left, aged for a test).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan> Aged { get; } = new(StringComparer.Ordinal);

    public string Location => inner.Location;
    public bool ReplacesAtomically => inner.ReplacesAtomically;

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken ct)
    {
        var info = await inner.StatAsync(key, ct);
        if (info is not { } i) return null;
        return i with { LastModified = i.LastModified + skew - (Aged.TryGetValue(key, out var age) ? age : TimeSpan.Zero) };
    }

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct) => inner.ListAsync(directory, ct);

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var o in inner.ListTreeAsync(directory, ct)) yield return o;
    }

    public Task<byte[]?> ReadAsync(string key, CancellationToken ct) => inner.ReadAsync(key, ct);
    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct) => inner.WriteAsync(key, data, ct);
    public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
    public Task DeleteTreeAsync(string directory, CancellationToken ct) => inner.DeleteTreeAsync(directory, ct);
}
