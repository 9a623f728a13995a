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

    /// <summary>
    /// Writes the object. Readers see the old content or the new, never a part, while the write runs; a write cut short
    /// (the process killed, the connection lost) leaves the old object, no object, or on a store that does not replace
    /// objects atomically (see <see cref="ReplacesAtomically"/>) a torn one. Durability: once a write of an object
    /// that is neither a block (*.blk) nor a lock (*.lck) returns, that object and every object written before it
    /// through this store survive a power loss; blocks may be batched until then, so a cfg never names a block that a
    /// power loss could take.
    /// </summary>
    Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// True when a write that is cut short never leaves a torn object under its key (a folder store writes a temporary
    /// file and renames it; an Azure block blob is committed whole). False for S3: some S3-compatible servers write
    /// the body into the final object as it arrives, so replacing a good block there could tear it under the
    /// backups that use it.
    /// </summary>
    bool ReplacesAtomically { get; }

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
