using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// Where a file holds allocated data, from lseek(SEEK_DATA/SEEK_HOLE) on Linux. An allocated range of zeros counts as
/// data (Longhorn's replica layers rely on that: allocation alone says a layer holds a sector, docs/backupstore-format.md §10). Where the
/// call is not supported the whole file counts as data; <see cref="TryRead"/> says which.
/// </summary>
public static class FileExtents
{
    /// <summary>Sorted, disjoint allocated ranges of the first <paramref name="length"/> bytes, or null when unknown.</summary>
    public static List<DataRange>? TryRead(SafeFileHandle handle, long length)
    {
        var ranges = new List<DataRange>();
        if (length <= 0) return ranges;
        if (!OperatingSystem.IsLinux()) return null;
        int fd = (int)handle.DangerousGetHandle();
        long pos = 0;
        while (pos < length)
        {
            long data = Native.lseek(fd, pos, Native.SEEK_DATA);
            if (data < 0)
            {
                if (Marshal.GetLastPInvokeError() == Native.ENXIO) break;   // no data after pos
                return null;                                                  // SEEK_DATA unsupported here
            }
            if (data >= length) break;
            long hole = Native.lseek(fd, data, Native.SEEK_HOLE);
            if (hole < 0) return null;
            if (hole > length) hole = length;
            if (hole > data) ranges.Add(new DataRange(data, hole - data));
            pos = hole;
        }
        return ranges;
    }

    /// <summary>The allocated ranges, or the whole file when the system cannot tell.</summary>
    public static List<DataRange> Read(SafeFileHandle handle, long length) =>
        TryRead(handle, length) ?? (length > 0 ? new List<DataRange> { new(0, length) } : new List<DataRange>());

    /// <summary>Widens each range to whole <paramref name="unit"/>-byte units and merges those that then touch.</summary>
    public static List<DataRange> AlignOutward(IReadOnlyList<DataRange> ranges, long unit, long limit)
    {
        var result = new List<DataRange>(ranges.Count);
        foreach (var r in ranges)
        {
            long start = r.Start / unit * unit;
            long end = Math.Min(limit, (r.End + unit - 1) / unit * unit);
            if (end <= start) continue;
            if (result.Count > 0 && result[^1].End >= start)
                result[^1] = new DataRange(result[^1].Start, Math.Max(result[^1].End, end) - result[^1].Start);
            else result.Add(new DataRange(start, end - start));
        }
        return result;
    }

    private static class Native
    {
        public const int SEEK_DATA = 3, SEEK_HOLE = 4, ENXIO = 6;

        [DllImport("libc", SetLastError = true)]
        public static extern long lseek(int fd, long offset, int whence);
    }
}
