using LonghornBackup.Engine.Errors;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>
/// One layer file of a replica chain (or its backing file), open for positional reads, with the 4 KiB sectors it
/// holds. Which sectors a layer holds is decided by the file system's allocation alone (docs/backupstore-format.md §10), so its extents
/// are read once when it is opened, and again at the end to prove it did not change meanwhile.
/// </summary>
internal sealed class ReplicaLayer : IDisposable
{
    /// <summary>Longhorn's sector for the chain's location index (VolumeSectorSize).</summary>
    public const long SectorSize = 4096;

    private readonly SafeFileHandle _handle;
    private readonly long _volumeSize;

    private ReplicaLayer(string name, string path, SafeFileHandle handle, long volumeSize)
    {
        Name = name;
        Path = path;
        _handle = handle;
        _volumeSize = volumeSize;
        Stamp = ReadStamp();
    }

    /// <summary>The layer's file name (volume-snap-x.img), or the backing file's name.</summary>
    public string Name { get; }
    public string Path { get; }
    /// <summary>What the layer looked like when opened: length, modification time and allocated sectors.</summary>
    public LayerStamp Stamp { get; }
    public IReadOnlyList<DataRange> Extents => Stamp.Extents;

    public static ReplicaLayer Open(string name, string path, long volumeSize)
    {
        // A layer is a sparse regular file; a FIFO in its place would block the open until a writer came.
        if (ImageFileType.Unsupported(path) is { } kind)
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidData,
                $"The replica layer '{path}' is {kind}, not a regular file.", path);
        SafeFileHandle handle;
        try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.RandomAccess); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.ReadError, $"Cannot open the replica layer '{path}': {e.Message}", path, inner: e);
        }
        try { return new ReplicaLayer(name, path, handle, volumeSize); }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private LayerStamp ReadStamp()
    {
        long length = RandomAccess.GetLength(_handle);
        var extents = FileExtents.AlignOutward(FileExtents.Read(_handle, Math.Min(length, _volumeSize)), SectorSize, _volumeSize);
        return new LayerStamp(length, File.GetLastWriteTimeUtc(Path), extents);
    }

    /// <summary>Throws SnapshotChanged when the layer's length, time or allocation differ from when it was opened.</summary>
    public void EnsureUnchanged(string replicaPath)
    {
        var now = ReadStamp();
        if (now.Length == Stamp.Length && now.LastWriteUtc == Stamp.LastWriteUtc && now.Extents.SequenceEqual(Stamp.Extents)) return;
        throw new LonghornBackupException(ErrorIds.SnapshotChanged, ErrorKind.InvalidOperation,
            $"The replica layer '{Name}' of '{replicaPath}' changed while it was read (Longhorn coalesced or purged a snapshot); nothing torn was kept.",
            Path, "Run the command again: it reads the chain afresh.");
    }

    /// <summary>Fills <paramref name="buffer"/> from the layer at <paramref name="offset"/>; bytes past its end read as zeros.</summary>
    public void ReadAt(long offset, Span<byte> buffer)
    {
        int filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                int n = RandomAccess.Read(_handle, buffer[filled..], offset + filled);
                if (n == 0) break;
                filled += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.ReadError,
                $"Cannot read the replica layer '{Path}' at offset {offset}: {e.Message}", Path, inner: e);
        }
        buffer[filled..].Clear();
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>A layer's length, modification time and allocated 4 KiB sectors at one moment.</summary>
internal sealed record LayerStamp(long Length, DateTime LastWriteUtc, IReadOnlyList<DataRange> Extents);
