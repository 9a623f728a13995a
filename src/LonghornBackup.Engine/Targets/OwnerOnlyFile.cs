#if NET
using System.Runtime.Versioning;
#endif
using System.Security.AccessControl;
using System.Security.Principal;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// Files that hold keys or settings (the Secret files under credentials/, an AWS shared credentials file, targets.json)
/// are readable by their owner only from the moment they exist, whatever the umask: on Linux and macOS the file is
/// created with mode 0600 in the same call that creates it (and an existing one is narrowed before anything is written
/// to it); on Windows it is created with a protected ACL that admits the current user alone. Never chmod after write.
/// </summary>
public static class OwnerOnlyFile
{
    /// <summary>
    /// Called with the path right after a file is created, before its first byte is written: tests observe the mode
    /// at that moment. Per asynchronous flow, so parallel tests do not see each other's files.
    /// </summary>
    internal static readonly AsyncLocal<Action<string>?> Created = new();

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/>: written to a new owner-only file beside it, then renamed over it.</summary>
    public static void Write(string path, byte[] bytes)
    {
        string temp = path + ".tmp." + Environment.ProcessId;
        if (File.Exists(temp)) File.Delete(temp);   // left by a crashed run of this process id: may have other permissions
        using (var stream = CreateNew(temp)) stream.Write(bytes, 0, bytes.Length);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Creates an empty owner-only file (and its folder); false when the file exists already (it is left as it is).</summary>
    public static bool CreateEmpty(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            using var _ = CreateNew(path);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    /// <summary>Narrows an existing file to its owner (before keys are added to it); a missing file is left missing.</summary>
    public static void Restrict(string path)
    {
        if (!File.Exists(path)) return;
#if NET
        if (OperatingSystem.IsWindows()) new FileInfo(path).SetAccessControl(WindowsFileSecurity());
        else File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
#else
        if (OnWindows) RestrictOnWindows(path);
#endif
    }

    /// <summary>Creates a folder readable by its owner only (mode 0700) when it is missing; an existing one is left as it is.</summary>
    public static void CreateFolder(string path)
    {
        if (Directory.Exists(path)) return;
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
#if NET
        if (OperatingSystem.IsWindows()) new DirectoryInfo(path).Create(WindowsDirectorySecurity());
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
#else
        if (OnWindows) CreateFolderOnWindows(path);
        else Directory.CreateDirectory(path);
#endif
    }

    /// <summary>A new file (CreateNew: an existing one is an IOException), owner-only from its creation, open for writing.</summary>
    private static FileStream CreateNew(string path)
    {
        FileStream stream;
#if NET
        if (OperatingSystem.IsWindows())
            stream = new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.Write | FileSystemRights.Read, FileShare.None, 4096, FileOptions.None, WindowsFileSecurity());
        else
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
#else
        stream = OnWindows ? CreateNewOnWindows(path) : new FileStream(path, FileMode.CreateNew, FileAccess.Write);
#endif
        Created.Value?.Invoke(path);
        return stream;
    }

#if !NET
    // The .NET Framework build is Windows PowerShell's, so Windows; its tests also load it into PowerShell 7 on Linux,
    // where the ACL overloads below do not exist. Each is its own method, compiled only when it is called.
    private static bool OnWindows => Environment.OSVersion.Platform == PlatformID.Win32NT;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void RestrictOnWindows(string path) => File.SetAccessControl(path, WindowsFileSecurity());

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void CreateFolderOnWindows(string path) => Directory.CreateDirectory(path, WindowsDirectorySecurity());

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static FileStream CreateNewOnWindows(string path) =>
        new(path, FileMode.CreateNew, FileSystemRights.Write | FileSystemRights.Read, FileShare.None, 4096, FileOptions.None, WindowsFileSecurity());
#endif

#if NET
    [SupportedOSPlatform("windows")]
#endif
    private static FileSecurity WindowsFileSecurity()
    {
        var security = new FileSecurity();
        var user = WindowsIdentity.GetCurrent().User!;
        security.SetOwner(user);
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);   // nothing inherited from the folder
        security.AddAccessRule(new FileSystemAccessRule(user, FileSystemRights.FullControl, AccessControlType.Allow));
        return security;
    }

#if NET
    [SupportedOSPlatform("windows")]
#endif
    private static DirectorySecurity WindowsDirectorySecurity()
    {
        var security = new DirectorySecurity();
        var user = WindowsIdentity.GetCurrent().User!;
        security.SetOwner(user);
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(user, FileSystemRights.FullControl,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        return security;
    }
}
