using System.Runtime.InteropServices;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// What kind of file an image path names, read with stat() before anything opens it: opening a FIFO blocks until a
/// writer comes, and a socket or character device has no size to back up. .NET has no API for the file type, so this
/// asks the runtime's own native shim (libSystem.Native, present wherever .NET runs on Unix; its FileStatus layout is
/// the same on every platform).
/// </summary>
internal static class ImageFileType
{
    private const int TypeMask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000,
        BlockDevice = 0x6000, Regular = 0x8000, Socket = 0xC000;

    /// <summary>
    /// Null when the path is a regular file or a block device (or cannot be examined here: Windows, .NET Framework,
    /// a missing file); otherwise what it is, for the message.
    /// </summary>
    public static string? Unsupported(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        int mode;
        try
        {
            var status = new byte[256];   // FileStatus is ~120 bytes; Mode is its second int
            if (Native.SystemNative_Stat(path, status) != 0) return null;
            mode = BitConverter.ToInt32(status, 4);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        return (mode & TypeMask) switch
        {
            Regular or BlockDevice => null,
            Fifo => "a named pipe (FIFO)",
            CharacterDevice => "a character device",
            Socket => "a socket",
            Directory => "a folder",
            _ => "not a regular file or block device",
        };
    }

    private static class Native
    {
        [DllImport("libSystem.Native", CharSet = CharSet.Ansi)]
        public static extern int SystemNative_Stat(string path, byte[] output);
    }
}
