namespace LonghornBackup.Engine.Store;

/// <summary>
/// Where a path really leads once every symbolic link along it is followed (realpath), for paths whose tail may not
/// exist yet. On .NET Framework (Windows PowerShell) links cannot be read without P/Invoke: paths stay as given.
/// </summary>
public static class RealPaths
{
    private const int MaxLinks = 40;   // as Linux's ELOOP limit

    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
#if NET
        for (int hops = 0; hops < MaxLinks; hops++)
        {
            string? link = FirstLink(full, out string rest);
            if (link is null) return full;
            var target = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: false);
            if (target is null) return full;
            string resolved = Path.GetFullPath(target.FullName);
            full = rest.Length == 0 ? resolved : Path.GetFullPath(Path.Combine(resolved, rest));
        }
#endif
        return full;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it (both full paths).</summary>
    public static bool IsUnder(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string f = folder.Length > 1 ? folder.TrimEnd('/', '\\') : folder;
        string p = path.Length > 1 ? path.TrimEnd('/', '\\') : path;
        if (string.Equals(p, f, comparison)) return true;
        if (f.EndsWith('/') || f.EndsWith('\\')) return p.StartsWith(f, comparison);
        return p.StartsWith(f, comparison) && (p[f.Length] == '/' || p[f.Length] == '\\');
    }

#if NET
    /// <summary>The first component of <paramref name="full"/> that is a symbolic link, and the part after it.</summary>
    private static string? FirstLink(string full, out string rest)
    {
        string root = Path.GetPathRoot(full) ?? "";
        string[] parts = full[root.Length..].Split(new[] { '/', '\\' }, StringSplitOptions.RemoveEmptyEntries);
        string current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            var info = new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                rest = string.Join(Path.DirectorySeparatorChar, parts, i + 1, parts.Length - i - 1);
                return current;
            }
            if (!info.Exists && !Directory.Exists(current)) break;   // nothing below a missing folder is a link
        }
        rest = "";
        return null;
    }
#endif
}
