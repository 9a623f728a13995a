using System.Collections.Concurrent;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// Keeps a folder store inside its root: a path that passes through (or is) a symbolic link leading outside the
/// root is refused, so a hostile or mistaken link never makes a delete, write or read act on files that are not the
/// store's. Links that stay inside the root are followed. Folders found safe are remembered, so the thousands of
/// block reads of a restore cost one link check each.
/// </summary>
internal sealed class StoreLinkGuard
{
    private readonly string _root;
    private readonly ConcurrentDictionary<string, byte> _safeFolders = new(StringComparer.Ordinal);
    private string? _realRoot;

    public StoreLinkGuard(string root) => _root = root;

    /// <summary>Throws LinkOutsideBackupTarget when a component of <paramref name="path"/> below the root is such a link.</summary>
    public void Check(string path, string key)
    {
#if NET
        if (path.Length <= _root.Length) return;
        string[] parts = path[_root.Length..].Split(new[] { '/', '\\' }, StringSplitOptions.RemoveEmptyEntries);
        string current = _root;
        for (int i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            bool last = i == parts.Length - 1;
            if (!last && _safeFolders.ContainsKey(current)) continue;
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                string real = RealPaths.Resolve(current);
                if (!RealPaths.IsUnder(real, RealRoot)) throw Outside(current, real, key);
            }
            else if (last || !Directory.Exists(current)) return;   // nothing below a missing folder is a link
            if (!last) _safeFolders.TryAdd(current, 0);
        }
#endif
    }

    /// <summary>True when <paramref name="info"/> is a link that leads outside the root (used while walking a tree).</summary>
    public bool LeadsOutside(FileSystemInfo info)
    {
#if NET
        return info.LinkTarget is not null && !RealPaths.IsUnder(RealPaths.Resolve(info.FullName), RealRoot);
#else
        return false;
#endif
    }

    /// <summary>Forgets folders found safe: after a delete, a folder may come back as something else.</summary>
    public void Forget() => _safeFolders.Clear();

    private string RealRoot => _realRoot ??= RealPaths.Resolve(_root);

    private LonghornBackupException Outside(string path, string real, string key) =>
        new(ErrorIds.LinkOutsideBackupTarget, ErrorKind.SecurityError,
            $"'{path}' in the backup target at {_root} is a symbolic link to '{real}', outside the backup target; LonghornBackup does not follow it (key '{key}').",
            path, "Remove the link, or move what it points to into the backup target.");
}
