using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace System.IO;

/// <summary>
/// .NET Framework lacks File.OpenHandle and RandomAccess (positional reads and writes on a handle, no shared file
/// position, so several workers can use one handle). Windows PowerShell 5.1 runs on Windows only, so these call
/// kernel32 directly, the way .NET 8 implements them there. Compiled for net472 only.
/// </summary>
internal static class RandomAccess
{
    public static long GetLength(SafeFileHandle handle) =>
        Native.GetFileSizeEx(handle, out long size) ? size : throw Native.LastError(null);

    public static void SetLength(SafeFileHandle handle, long length)
    {
        if (!Native.SetFileInformationByHandle(handle, Native.FileEndOfFileInfo, ref length, sizeof(long))) throw Native.LastError(null);
    }

    public static unsafe int Read(SafeFileHandle handle, Span<byte> buffer, long fileOffset)
    {
        var overlapped = Native.At(fileOffset);
        fixed (byte* p = buffer)
        {
            if (Native.ReadFile(handle, p, buffer.Length, out int read, &overlapped)) return read;
            int error = Marshal.GetLastWin32Error();
            return error == Native.ErrorHandleEof ? 0 : throw Native.Error(error, null);
        }
    }

    public static unsafe void Write(SafeFileHandle handle, ReadOnlySpan<byte> buffer, long fileOffset)
    {
        while (!buffer.IsEmpty)
        {
            var overlapped = Native.At(fileOffset);
            int written;
            fixed (byte* p = buffer)
            {
                if (!Native.WriteFile(handle, p, buffer.Length, out written, &overlapped)) throw Native.LastError(null);
            }
            buffer = buffer.Slice(written);
            fileOffset += written;
        }
    }

    public static ValueTask WriteAsync(SafeFileHandle handle, ReadOnlyMemory<byte> buffer, long fileOffset, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(handle, buffer.Span, fileOffset);
        return default;
    }

    public static void FlushToDisk(SafeFileHandle handle)
    {
        if (!Native.FlushFileBuffers(handle)) throw Native.LastError(null);
    }

    internal static class Native
    {
        public const int FileEndOfFileInfo = 6;
        public const int ErrorHandleEof = 38;

        public static NativeOverlapped At(long offset) =>
            new() { OffsetLow = unchecked((int)offset), OffsetHigh = (int)(offset >> 32) };

        public static Exception LastError(string? path) => Error(Marshal.GetLastWin32Error(), path);

        public static Exception Error(int error, string? path)
        {
            string what = new Win32Exception(error).Message + (path is null ? "" : $" : '{path}'");
            return error switch
            {
                2 => new FileNotFoundException(what, path),
                3 => new DirectoryNotFoundException(what),
                5 => new UnauthorizedAccessException(what),
                _ => new IOException(what, unchecked((int)0x80070000 | error)),
            };
        }

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern SafeFileHandle CreateFileW(string name, uint access, uint share, IntPtr security, uint disposition, uint flags, IntPtr template);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern unsafe bool ReadFile(SafeFileHandle handle, byte* buffer, int count, out int read, NativeOverlapped* overlapped);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern unsafe bool WriteFile(SafeFileHandle handle, byte* buffer, int count, out int written, NativeOverlapped* overlapped);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern bool GetFileSizeEx(SafeFileHandle handle, out long size);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern bool SetFileInformationByHandle(SafeFileHandle handle, int infoClass, ref long info, int size);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern bool FlushFileBuffers(SafeFileHandle handle);
    }
}

internal static class FileHandleExtensions
{
    extension(File)
    {
        /// <summary>Opens a handle for RandomAccess, as File.OpenHandle does on .NET 8 (preallocation is ignored).</summary>
        public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenHandle(string path, FileMode mode = FileMode.Open,
            FileAccess access = FileAccess.Read, FileShare share = FileShare.Read, FileOptions options = FileOptions.None, long preallocationSize = 0)
        {
            string full = Path.GetFullPath(path);
            uint desired = (access.HasFlag(FileAccess.Read) ? 0x80000000u : 0) | (access.HasFlag(FileAccess.Write) ? 0x40000000u : 0);
            uint flags = 0x80u | unchecked((uint)options);   // FILE_ATTRIBUTE_NORMAL plus the FILE_FLAG_* values FileOptions carries
            var handle = RandomAccess.Native.CreateFileW(full, desired, (uint)share, IntPtr.Zero, (uint)mode, flags, IntPtr.Zero);
            if (handle.IsInvalid)
            {
                var error = RandomAccess.Native.LastError(full);
                handle.Dispose();
                throw error;
            }
            return handle;
        }
    }
}
