using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Passes every call to the real store, records it (operation, key, and for writes the bytes), and runs an optional
/// hook first: a test injects what another client would do at that moment (a new backup appearing, a cancel).
/// </summary>
internal sealed class HookedStore(IObjectStore inner) : IObjectStore
{
    public sealed record Call(string Operation, string Key, byte[]? Data);

    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>Runs before each call with (operation, key); operations are List, ListTree, Read, Write, Stat, Delete, DeleteTree.</summary>
    public Func<string, string, Task>? Before { get; set; }

    /// <summary>
    /// Runs after <see cref="Before"/> with (operation, key) and the call's cancellation token: a test holds a call back
    /// until an event, or until the caller gives the call up (cancels it), never for a time.
    /// </summary>
    public Func<string, string, CancellationToken, Task>? Hold { get; set; }

    /// <summary>Runs after each write has reached the inner store, with its key: the object is stored from then on.</summary>
    public Action<string>? AfterWrite { get; set; }

    /// <summary>Replaces what a read returns, given (key, bytes read): a test damages a body on its way.</summary>
    public Func<string, byte[]?, byte[]?>? AfterRead { get; set; }

    public string Location => inner.Location;
    public bool ReplacesAtomically => inner.ReplacesAtomically;

    public IEnumerable<Call> Where(string operation, string keySuffix) =>
        Calls.Where(c => c.Operation == operation && c.Key.EndsWith(keySuffix, StringComparison.Ordinal));

    private async Task Enter(string operation, string key, CancellationToken ct, ReadOnlyMemory<byte>? data = null)
    {
        Calls.Enqueue(new Call(operation, key, data?.ToArray()));
        if (Before is { } hook) await hook(operation, key);
        if (Hold is { } hold) await hold(operation, key, ct);
    }

    public async Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct)
    {
        await Enter("List", directory, ct);
        return await inner.ListAsync(directory, ct);
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        await Enter("ListTree", directory, ct);
        await foreach (var key in inner.ListTreeAsync(directory, ct)) yield return key;
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken ct)
    {
        await Enter("Read", key, ct);
        var data = await inner.ReadAsync(key, ct);
        return AfterRead is { } damage ? damage(key, data) : data;
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await Enter("Write", key, ct, data);
        await inner.WriteAsync(key, data, ct);
        AfterWrite?.Invoke(key);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken ct)
    {
        await Enter("Stat", key, ct);
        return await inner.StatAsync(key, ct);
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        await Enter("Delete", key, ct);
        await inner.DeleteAsync(key, ct);
    }

    public async Task DeleteTreeAsync(string directory, CancellationToken ct)
    {
        await Enter("DeleteTree", directory, ct);
        await inner.DeleteTreeAsync(directory, ct);
    }
}
