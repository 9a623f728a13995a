using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A backupstore on a local or OS-mounted file system (vfs://, file://, a plain path; NFS and CIFS exports once
/// mounted). Writes go to "&lt;key&gt;.tmp.&lt;unixnanos&gt;" and are renamed over the key, as Longhorn's fsops do, so
/// listings (which keep only *.cfg, *.blk, *.lck) never see a partial file.
/// <para>
/// Durability follows the contract of <see cref="IObjectStore.WriteAsync"/>: a block is written back and renamed
/// into place but made durable later, in one batch, by the next commit point; every other object except a lock is a
/// commit point: before it is renamed into place, every block renamed so far is made durable (<see cref="DurableBlocks"/>),
/// then its own data, and after the rename its folder. So after a power loss a backup cfg never names a block that is
/// not on disk. A block that replaces an existing file (a full backup) is synced before its rename: earlier backups
/// use that file.
/// </para>
/// </summary>
public sealed class FileSystemStore : IObjectStore, IBufferedObjectReader
{
    private readonly string _root;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _knownDirectories = new(StringComparer.Ordinal);
    private readonly StoreLinkGuard _links;
    private readonly DurableBlocks _durable;

    public FileSystemStore(string rootPath) : this(rootPath, DurableBlocks.DefaultStrategy) { }

    internal FileSystemStore(string rootPath, BlockSyncStrategy blockSync)
    {
        _root = Path.GetFullPath(rootPath);
        _links = new StoreLinkGuard(_root);
        _durable = new DurableBlocks(_root, blockSync, step => Trace?.Invoke(step.Step, step.Path));
    }

    /// <summary>
    /// Test seam: every durability step as it is taken ("sync-data", "rename", "sync-dir", "sync-fs"), with its path,
    /// so a test can check their order. Null in production.
    /// </summary>
    internal Action<string, string>? Trace { get; set; }

    public bool ReplacesAtomically => true;

    public string RootPath => _root;
    public string Location => _root;

    private string PathOf(string key)
    {
        var segments = StoreKeys.Segments(key);
        string path = segments.Length == 0 ? _root : Path.Combine(_root, Path.Combine(segments));
        _links.Check(path, key);   // every operation: a link out of the store is never followed
        return path;
    }

    public Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string dir = PathOf(directory);
        var result = new List<StoreEntry>();
        try
        {
            foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos())
                result.Add(new StoreEntry(info.Name, info is DirectoryInfo));
        }
        catch (DirectoryNotFoundException) { }
        catch (IOException e) when (!Directory.Exists(dir) && !File.Exists(dir)) { _ = e; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ReadFailed(directory, e);
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return Task.FromResult<IReadOnlyList<StoreEntry>>(result);
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string dir = PathOf(directory);
        if (!Directory.Exists(dir)) yield break;
        List<FileSystemInfo> entries;
        // Links are listed as entries and never descended into: what they lead to is not part of the store.
        try { entries = FolderTree.Entries(dir).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw ReadFailed(directory, e); }
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long size = entry is FileInfo file && !FolderTree.IsLink(entry) ? file.Length : 0;   // a link's own size says nothing
            yield return new StoredObject(Path.GetRelativePath(dir, entry.FullName).Replace(Path.DirectorySeparatorChar, '/'), size);
        }
        await Task.CompletedTask;
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        string path = PathOf(key);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && Directory.Exists(path)) { return null; }   // a folder is not an object
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw ReadFailed(key, e); }
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string path = PathOf(key);
        string dir = Path.GetDirectoryName(path)!;
        try
        {
            EnsureDirectory(dir);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    WriteAndRename(KindOf(key), path, data.Span);
                    break;
                }
                catch (DirectoryNotFoundException) when (attempt < 5)
                {
                    // Another process removed the folder as it emptied (locks/ when its last lock was released, or a
                    // GC's empty blocks/xx/yy) since we created it: create it again.
                    _knownDirectories.TryRemove(dir, out _);
                    CreateDirectory(dir);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError,
                $"Cannot write '{key}' to the backup target at {_root}: {e.Message}", key, inner: e);
        }
        return Task.CompletedTask;
    }

    /// <summary>How durable a write must be before it returns.</summary>
    private enum WriteKind
    {
        /// <summary>A block: written back and renamed; durable at the next commit point.</summary>
        Block,
        /// <summary>A lock file: flushed, nothing more (a lock lost to a power loss has expired anyway).</summary>
        Lock,
        /// <summary>A cfg or another record: everything before it durable first, then itself and its folder entry.</summary>
        CommitPoint,
    }

    private static WriteKind KindOf(string key) =>
        key.EndsWith(".blk", StringComparison.Ordinal) ? WriteKind.Block
        : key.EndsWith(".lck", StringComparison.Ordinal) ? WriteKind.Lock
        : WriteKind.CommitPoint;

    /// <summary>
    /// Writes "&lt;path&gt;.tmp.&lt;nanos&gt;" and renames it over the path, as durable as <paramref name="kind"/> asks.
    /// Plain synchronous I/O: callers are pipeline workers on pool threads, and on Linux "async" file I/O is the same
    /// work plus a hop.
    /// </summary>
    private void WriteAndRename(WriteKind kind, string path, ReadOnlySpan<byte> data)
    {
        string temp = $"{path}.tmp.{UnixNanos()}";
        try
        {
            if (kind == WriteKind.CommitPoint) _durable.MakeDurable();
            bool replacesBlock = kind == WriteKind.Block && File.Exists(path);
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(handle, data, 0);
                if (kind == WriteKind.Block && !replacesBlock)
                {
                    // Written back and its pages dropped (this run does not read it again, and a cache full of them
                    // slows everything else); made durable with the others before the next commit point.
                    _durable.WriteBack(handle, data.Length, path);
                }
                else
                {
                    FileSync.SyncFile(handle);
                    Trace?.Invoke("sync-data", temp);
                }
            }
            File.Move(temp, path, overwrite: true);
            Trace?.Invoke("rename", path);
            if (kind == WriteKind.Block && !replacesBlock) _durable.Renamed(path);
            if (kind == WriteKind.CommitPoint)
            {
                FileSync.SyncDirectory(Path.GetDirectoryName(path)!);
                Trace?.Invoke("sync-dir", Path.GetDirectoryName(path)!);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Creates a folder once per store instance; thousands of block writes share a few hundred folders.</summary>
    private void EnsureDirectory(string dir)
    {
        if (_knownDirectories.ContainsKey(dir)) return;
        CreateDirectory(dir);
        _knownDirectories.TryAdd(dir, 0);
    }

    /// <summary>Creates a folder and its missing parents; their new entries become durable at the next commit point.</summary>
    private void CreateDirectory(string dir)
    {
        var missing = new List<string>();
        for (string? d = dir; d is not null && d.Length > _root.Length && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing.Add(d);
        Directory.CreateDirectory(dir);
        foreach (var created in missing) _durable.Created(created);
    }

    Task<bool> IBufferedObjectReader.ReadToAsync(string key, System.Buffers.ArrayBufferWriter<byte> destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        destination.ResetWrittenCount();
        return Task.FromResult(ReadFile(key, false, (handle, length) =>
        {
            long offset = 0;
            while (offset < length)
            {
                int chunk = (int)Math.Min(length - offset, 4 * 1024 * 1024);
                int n = ReadFully(handle, destination.GetSpan(chunk)[..chunk], offset);
                destination.Advance(n);
                offset += n;
                if (n < chunk) break;   // cut short meanwhile: the caller's checksum check sees it
            }
            return (true, offset);
        }));
    }

    Task<int> IBufferedObjectReader.ReadIntoAsync(string key, byte[] destination, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(ReadFile(key, -1, (handle, length) =>
        {
            if (length > destination.Length) return ((int)Math.Min(length, int.MaxValue), 0L);
            int read = ReadFully(handle, destination.AsSpan(0, (int)length), 0);
            return (read, read);
        }));
    }

    /// <summary>
    /// Opens the object's file for reading (shared: others may replace or delete it meanwhile) and hands it with its
    /// length to <paramref name="read"/>, which says what it read; those bytes then leave the page cache (a restore
    /// reads each block once). <paramref name="missing"/> when there is no such file.
    /// </summary>
    private T ReadFile<T>(string key, T missing, Func<Microsoft.Win32.SafeHandles.SafeFileHandle, long, (T Result, long BytesRead)> read)
    {
        string path = PathOf(key);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var (result, bytesRead) = read(handle, RandomAccess.GetLength(handle));
            Pipeline.PageCache.DropAfterRead(handle, 0, bytesRead);
            return result;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return missing; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw ReadFailed(key, e); }
    }

    /// <summary>Fills <paramref name="into"/> from <paramref name="offset"/>; fewer bytes only at the end of the file.</summary>
    private static int ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> into, long offset)
    {
        int read = 0;
        while (read < into.Length)
        {
            int n = RandomAccess.Read(handle, into[read..], offset + read);
            if (n == 0) break;
            read += n;
        }
        return read;
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult<ObjectInfo?>(info.Exists ? new ObjectInfo(info.Length, info.LastWriteTimeUtc) : null);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        string path = PathOf(key);
        try
        {
            File.Delete(path);
            RemoveEmptyParents(Path.GetDirectoryName(path));
            _knownDirectories.Clear();
            _links.Forget();
        }
        catch (DirectoryNotFoundException) { }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError,
                $"Cannot delete '{key}' from the backup target at {_root}: {e.Message}", key, inner: e);
        }
        return Task.CompletedTask;
    }

    public Task DeleteTreeAsync(string directory, CancellationToken cancellationToken)
    {
        string path = PathOf(directory);
        try
        {
            // Only the store's own files go; anything else (and every link) stays, for the caller to report.
            FolderTree.DeleteOwnFiles(path);
            RemoveEmptyParents(Path.GetDirectoryName(path));
            _knownDirectories.Clear();
            _links.Forget();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.StoreWriteFailed, ErrorKind.WriteError,
                $"Cannot delete '{directory}' from the backup target at {_root}: {e.Message}", directory, inner: e);
        }
        return Task.CompletedTask;
    }

    /// <summary>Like Longhorn's fsops: drop empty parent folders, stopping at the "backupstore" folder.</summary>
    private void RemoveEmptyParents(string? dir)
    {
        for (int i = 0; i < 10 && dir is not null && dir.Length > _root.Length; i++)
        {
            if (Path.GetFileName(dir) == "backupstore") return;
            try
            {
                if (Directory.EnumerateFileSystemEntries(dir).Any()) return;
                Directory.Delete(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
            dir = Path.GetDirectoryName(dir);
        }
    }

    private LonghornBackupException ReadFailed(string key, Exception e) =>
        new(ErrorIds.StoreReadFailed, ErrorKind.ReadError,
            $"Cannot read '{key}' from the backup target at {_root}: {e.Message}", key, inner: e);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Unix time in nanoseconds plus random digits, so concurrent writers of one key never share a temp file.</summary>
    private static string UnixNanos() =>
        $"{(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100}{Random.Shared.Next(100000, 999999)}";
}
