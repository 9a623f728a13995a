using System.Runtime.InteropServices;
using LonghornBackup.Engine.Errors;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// A raw image file or block device. On Linux the allocated extents come from lseek(SEEK_DATA/SEEK_HOLE), so the
/// holes of a sparse file cost nothing; elsewhere the whole file counts as data and zero blocks are found by reading.
/// </summary>
public sealed class RawImageSource : IBlockSource
{
    private readonly SafeFileHandle _handle;

    private RawImageSource(string path, SafeFileHandle handle, long size)
    {
        Description = path;
        _handle = handle;
        Size = size;
    }

    public string Description { get; }
    public long Size { get; }

    public static RawImageSource Open(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.InvalidArgument,
                $"'{full}' is a folder, not an image file or block device.", full);
        if (ImageFileType.Unsupported(full) is { } kind)   // before opening: opening a FIFO would block
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidArgument,
                $"The snapshot image '{full}' is {kind}, not a regular file or block device.", full,
                "Give the path of a raw image file or block device with -Path.");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.NotFound,
                $"The snapshot image '{full}' does not exist.", full, "Give the path of a raw image file or block device with -Path.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.ReadError,
                $"Cannot open the snapshot image '{full}': {e.Message}", full, inner: e);
        }
        long size = RandomAccess.GetLength(handle);
        if (size == 0 && !OperatingSystem.IsWindows())
        {
            // Block devices report length 0 through stat; seeking to the end gives their size.
            long end = Native.lseek((int)handle.DangerousGetHandle(), 0, Native.SEEK_END);
            if (end > 0) size = end;
        }
        return new RawImageSource(full, handle, size);
    }

    public IReadOnlyList<DataRange> GetDataRanges()
    {
        var whole = new[] { new DataRange(0, Size) };
        if (!OperatingSystem.IsLinux() || Size == 0) return Size == 0 ? Array.Empty<DataRange>() : whole;
        int fd = (int)_handle.DangerousGetHandle();
        var ranges = new List<DataRange>();
        long pos = 0;
        while (pos < Size)
        {
            long data = Native.lseek(fd, pos, Native.SEEK_DATA);
            if (data < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Native.ENXIO) break;          // no data after pos
                return whole;                                // SEEK_DATA unsupported here: read everything
            }
            long hole = Native.lseek(fd, data, Native.SEEK_HOLE);
            if (hole < 0) return whole;
            if (hole > Size) hole = Size;
            if (hole > data) ranges.Add(new DataRange(data, hole - data));
            pos = hole;
        }
        return ranges;
    }

    public void ReadAt(long offset, Span<byte> buffer)
    {
        int filled = 0;
        try
        {
            while (filled < buffer.Length && offset + filled < Size)
            {
                int n = RandomAccess.Read(_handle, buffer[filled..], offset + filled);
                if (n == 0) break;
                filled += n;
            }
            Pipeline.PageCache.DropAfterRead(_handle, offset, filled);   // each block is read once per run
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.ReadError,
                $"Cannot read the snapshot image '{Description}' at offset {offset}: {e.Message}", Description, inner: e);
        }
        buffer[filled..].Clear();
    }

    public void Dispose() => _handle.Dispose();

    private static class Native
    {
        public const int SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4, ENXIO = 6;

        [DllImport("libc", SetLastError = true)]
        public static extern long lseek(int fd, long offset, int whence);
    }
}
