using Microsoft.Win32.SafeHandles;
using LonghornBackup.Engine.Pipeline;

namespace LonghornBackup.Engine.Store;

/// <summary>How a folder store makes the blocks it renamed into place durable before a commit point.</summary>
internal enum BlockSyncStrategy
{
    /// <summary>
    /// Each block is written back as it is written (sync_file_range: no journal commit, no flush of the disk's cache);
    /// before a commit point one syncfs commits them all at once. Falls back to <see cref="PerFile"/> work where
    /// syncfs does not exist.
    /// </summary>
    SyncFileSystem,

    /// <summary>Each block is fsynced by the worker that wrote it; before a commit point only the folders are synced.</summary>
    PerFile,
}

/// <summary>
/// The blocks a folder store renamed into place that are not durable yet, and the folders whose entries changed.
/// <see cref="MakeDurable"/> syncs them before a commit point (a cfg): then a power loss can never leave a cfg that
/// names a block that is not on disk. One sync at a time, so a commit point never passes blocks another one is still
/// syncing.
/// </summary>
internal sealed class DurableBlocks
{
    /// <summary>
    /// Measured on a 16 GiB full backup to this VM's disk (docs/benchmarks.md, "Durability"): one syncfs before the
    /// cfg cost nothing measurable; an fsync per block slowed the backup down.
    /// </summary>
    public const BlockSyncStrategy DefaultStrategy = BlockSyncStrategy.SyncFileSystem;

    private readonly string _root;
    private readonly BlockSyncStrategy _strategy;
    private readonly Action<(string Step, string Path)> _trace;
    private readonly object _pendingGate = new();
    private readonly object _syncGate = new();
    private List<string> _files = new();
    private HashSet<string> _folders = new(StringComparer.Ordinal);

    public DurableBlocks(string root, BlockSyncStrategy strategy, Action<(string Step, string Path)> trace)
    {
        _root = root;
        _strategy = strategy;
        _trace = trace;
    }

    /// <summary>A new block's data, written to its temporary file: on its way to disk now, durable by the next commit point.</summary>
    public void WriteBack(SafeFileHandle handle, int length, string path)
    {
        if (_strategy == BlockSyncStrategy.PerFile)
        {
            FileSync.SyncFile(handle);
            _trace(("sync-data", path));
            PageCache.DropAfterRead(handle, 0, length);   // clean pages now: they can go
        }
        else PageCache.WriteBackAndDrop(handle, 0, length);
    }

    /// <summary>A block renamed into place at <paramref name="path"/>.</summary>
    public void Renamed(string path)
    {
        lock (_pendingGate)
        {
            if (_strategy == BlockSyncStrategy.SyncFileSystem) _files.Add(path);
            _folders.Add(Path.GetDirectoryName(path)!);
        }
    }

    /// <summary>A folder created: its entry in its parent must become durable too.</summary>
    public void Created(string folder)
    {
        lock (_pendingGate) _folders.Add(Path.GetDirectoryName(folder)!);
    }

    /// <summary>Makes every block renamed so far, and every folder entry changed so far, durable.</summary>
    public void MakeDurable()
    {
        lock (_syncGate)
        {
            List<string> files;
            HashSet<string> folders;
            lock (_pendingGate)
            {
                if (_files.Count == 0 && _folders.Count == 0) return;
                (files, folders) = (_files, _folders);
                (_files, _folders) = (new List<string>(), new HashSet<string>(StringComparer.Ordinal));
            }
            try
            {
                if (_strategy == BlockSyncStrategy.SyncFileSystem && FileSync.TrySyncFileSystem(_root))
                {
                    _trace(("sync-fs", _root));
                    return;
                }
                Parallel.ForEach(files, SyncFileAt);
                Parallel.ForEach(folders, folder =>
                {
                    FileSync.SyncDirectory(folder);
                    _trace(("sync-dir", folder));
                });
            }
            catch
            {
                // Not durable yet: the next commit point tries again.
                lock (_pendingGate)
                {
                    _files.AddRange(files);
                    _folders.UnionWith(folders);
                }
                throw;
            }
        }
    }

    private void SyncFileAt(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            FileSync.SyncFile(handle);
            _trace(("sync-data", path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Gone since (a deletion collected it): nothing of it to make durable.
        }
    }
}
