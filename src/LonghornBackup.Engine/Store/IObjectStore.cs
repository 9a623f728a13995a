using System.Buffers;

namespace LonghornBackup.Engine.Store;

/// <summary>An entry of a directory listing: a file (object) or a sub-directory (common prefix).</summary>
public readonly record struct StoreEntry(string Name, bool IsDirectory);

/// <summary>An object found by a tree listing: its key relative to the listed directory, and its size in bytes.</summary>
public readonly record struct StoredObject(string Key, long Size);

/// <summary>Size and modification time of one object, as the store reports them.</summary>
public readonly record struct ObjectInfo(long Size, DateTimeOffset LastModified);

/// <summary>
/// The only code that knows where bytes live. Keys are '/'-separated paths relative to the target root
/// (e.g. "backupstore/volumes/7e/ed/pvc-1/volume.cfg"). Every algorithm above this interface is written once
/// and runs unchanged on every driver; one conformance suite checks each driver.
/// </summary>
public interface IObjectStore
{
    /// <summary>Where the store is, for messages (never contains secrets).</summary>
    string Location { get; }

    /// <summary>Immediate children of <paramref name="directory"/>; a missing directory lists as empty.</summary>
    Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken cancellationToken);

    /// <summary>
    /// Every object below <paramref name="directory"/>, at any depth, with its key relative to it and its size (which
    /// every store's listing gives for free, so statistics need no request per object). A folder store lists a
    /// symbolic link as an object of size 0 and never descends into it.
    /// </summary>
    IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, CancellationToken cancellationToken);

    /// <summary>The whole object, or null when it does not exist.</summary>
    Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes the object atomically: readers see the old content or the new, never a part.</summary>
    Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Size and time of the object, or null when it does not exist.</summary>
    Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes one object; deleting a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every object of the format below <paramref name="directory"/> (see <see cref="OwnFiles"/>); other
    /// objects stay, so a listing afterwards shows what was left.
    /// </summary>
    Task DeleteTreeAsync(string directory, CancellationToken cancellationToken);
}
