using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// The durability calls a folder store needs beyond .NET's own (which can flush a file, not a folder or a whole file
/// system): fsync of a folder, so a rename in it survives a power loss, and syncfs, which makes everything written to
/// one file system durable in one journal commit. Linux only; elsewhere <see cref="TrySyncFileSystem"/> says it could
/// not, and folders need no sync (NTFS logs its metadata).
/// </summary>
internal static class FileSync
{
#if NET
    private static readonly bool IsLinux = OperatingSystem.IsLinux();
#else
    private static readonly bool IsLinux = false;   // Windows PowerShell: Windows only
#endif
    private const int ReadOnly = 0, Directory = 0x10000 /* O_DIRECTORY on x86-64 and arm64 */, CloseOnExec = 0x80000;

    /// <summary>
    /// Makes the entries of <paramref name="directory"/> (names created, renamed or removed in it) durable. A file
    /// system that cannot sync or open a folder (some FUSE and network ones say EINVAL or EACCES) is left as it is;
    /// only an I/O error, a write that did not reach the disk, fails.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!IsLinux) return;
        int fd = Native.open(directory, ReadOnly | Directory | CloseOnExec);
        if (fd < 0) return;
        try
        {
            if (Native.fsync(fd) != 0 && Marshal.GetLastWin32Error() == IoError) throw Failure("sync the folder", directory, IoError);
        }
        finally { Native.close(fd); }
    }

    private const int IoError = 5;   // EIO

    /// <summary>
    /// Makes everything written to the file system holding <paramref name="directory"/> durable (syncfs: data written
    /// back, then one journal commit and one flush of the disk's cache). False where the call does not exist, so the
    /// caller syncs file by file instead.
    /// </summary>
    public static bool TrySyncFileSystem(string directory)
    {
        if (!IsLinux) return false;
        bool synced = false;
        WithDirectory(directory, fd =>
        {
            try { synced = Native.syncfs(fd) == 0; }
            catch (EntryPointNotFoundException) { synced = false; }
            if (!synced && Marshal.GetLastWin32Error() is int error and not 0 and not 38 /* ENOSYS */)
                throw Failure("sync the file system of", directory, error);
        });
        return synced;
    }

    private static void WithDirectory(string directory, Action<int> use)
    {
        int fd = Native.open(directory, ReadOnly | Directory | CloseOnExec);
        if (fd < 0) throw Failure("open the folder", directory);
        try { use(fd); }
        finally { Native.close(fd); }
    }

    /// <summary>Makes one file's data (and what is needed to read it back) durable.</summary>
    public static void SyncFile(SafeFileHandle handle) => RandomAccess.FlushToDisk(handle);

    private static IOException Failure(string what, string path, int? error = null)
    {
        int code = error ?? Marshal.GetLastWin32Error();
        return new IOException($"Cannot {what} '{path}': {new System.ComponentModel.Win32Exception(code).Message}");
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int syncfs(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
