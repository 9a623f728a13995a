namespace LonghornBackup.Engine.Store;

/// <summary>
/// Walks a folder tree of a folder store without ever following a symbolic link: a link (to a file or a folder) is
/// an entry of its own, never descended into, so neither a listing nor a delete can reach beyond it.
/// </summary>
internal static class FolderTree
{
    /// <summary>Files and links below <paramref name="folder"/>, at any depth; a missing folder has none.</summary>
    public static IEnumerable<FileSystemInfo> Entries(string folder)
    {
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(folder));
        while (pending.Count > 0)
        {
            List<FileSystemInfo> children;
            try { children = pending.Pop().EnumerateFileSystemInfos().ToList(); }
            catch (DirectoryNotFoundException) { continue; }
            foreach (var child in children)
            {
                if (child is DirectoryInfo dir && !IsLink(child)) pending.Push(dir);
                else yield return child;
            }
        }
    }

    /// <summary>Deletes the store's own regular files below <paramref name="folder"/>, then the folders left empty.</summary>
    public static void DeleteOwnFiles(string folder)
    {
        if (!Directory.Exists(folder) || IsLink(new DirectoryInfo(folder))) return;
        foreach (var entry in Entries(folder))
            if (entry is FileInfo && !IsLink(entry) && OwnFiles.IsOwn(entry.Name)) entry.Delete();
        RemoveEmptyFolders(new DirectoryInfo(folder));
    }

    /// <summary>Removes empty folders bottom-up (never through a link); true when <paramref name="dir"/> itself went.</summary>
    private static bool RemoveEmptyFolders(DirectoryInfo dir)
    {
        bool empty = true;
        foreach (var child in dir.EnumerateFileSystemInfos().ToList())
            empty &= child is DirectoryInfo sub && !IsLink(child) && RemoveEmptyFolders(sub);
        if (empty) dir.Delete();
        return empty;
    }

    public static bool IsLink(FileSystemInfo info) =>
#if NET
        info.LinkTarget is not null;
#else
        (info.Attributes & FileAttributes.ReparsePoint) != 0;
#endif
}
