using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A store that dies, as a killed process or a cut link would, at its (<paramref name="blockWritesAllowed"/>+1)th block
/// write: that write and every later call fail, so the run cannot clean up after itself. What it wrote stays: its
/// in-progress cfg, its lock file, the blocks it stored.
/// </summary>
internal sealed class DyingStore(IObjectStore inner, int blockWritesAllowed) : IObjectStore
{
    private int _blockWrites;
    private volatile bool _dead;

    public string Location => inner.Location;
    public bool ReplacesAtomically => inner.ReplacesAtomically;

    private void ThrowIfDead(string key)
    {
        if (_dead) throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, $"simulated death at '{key}'", key);
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ThrowIfDead(key);
        if (key.EndsWith(".blk", StringComparison.Ordinal) && Interlocked.Increment(ref _blockWrites) > blockWritesAllowed)
        {
            _dead = true;
            ThrowIfDead(key);
        }
        await inner.WriteAsync(key, data, ct);
    }

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken ct)
    {
        ThrowIfDead(directory);
        return inner.ListAsync(directory, ct);
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken ct)
    {
        ThrowIfDead(directory);
        await foreach (var o in inner.ListTreeAsync(directory, ct)) yield return o;
    }

    public Task<byte[]?> ReadAsync(string key, CancellationToken ct)
    {
        ThrowIfDead(key);
        return inner.ReadAsync(key, ct);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken ct)
    {
        ThrowIfDead(key);
        return inner.StatAsync(key, ct);
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        ThrowIfDead(key);
        return inner.DeleteAsync(key, ct);
    }

    public Task DeleteTreeAsync(string directory, CancellationToken ct)
    {
        ThrowIfDead(directory);
        return inner.DeleteTreeAsync(directory, ct);
    }

    /// <summary>
    /// Runs a real backup of <paramref name="image"/> that dies after storing one new block, and returns the name of
    /// the backup it left in progress (the one backup of the volume that is not in <paramref name="before"/>).
    /// </summary>
    public static async Task<string> KilledBackupAsync(Backupstore store, string volume, string image, string snapshot)
    {
        var before = (await store.ListBackupNamesAsync(volume, CancellationToken.None)).ToHashSet();
        var dying = new Backupstore(new DyingStore(store.Store, blockWritesAllowed: 1), store.Url);
        using (var source = RawImageSource.Open(image))
        {
            var e = await Assert.ThrowsAsync<LonghornBackupException>(() => new BackupEngine(dying, null, TestStore.FastLocks).RunAsync(
                new BackupRequest { VolumeName = volume, SnapshotName = snapshot, Source = source, Concurrency = 1, UseChangeCache = false },
                null, CancellationToken.None));
            Assert.Contains("simulated death", e.Message);
        }
        return Assert.Single(await store.ListBackupNamesAsync(volume, CancellationToken.None), n => !before.Contains(n));
    }
}
