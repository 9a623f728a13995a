using System.Text;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>One line of the kernel's mount table (/proc/self/mountinfo, see proc(5)).</summary>
/// <param name="Root">The folder of the mounted file system that appears at <paramref name="MountPoint"/> ("/" for a whole export).</param>
/// <param name="Source">The mount source: "host:/export" for NFS, "//host/share" for CIFS.</param>
public sealed record MountEntry(int Id, string Root, string MountPoint, string FileSystemType, string Source, string Options);

/// <summary>
/// The mount table, read from /proc/self/mountinfo (or the file $LONGHORNBACKUP_MOUNTINFO names, for tests and for
/// diagnosing a machine from a copy of its table). Shares are found by their source, as an administrator mounted them.
/// </summary>
public sealed class MountTable
{
    public const string FileVariable = "LONGHORNBACKUP_MOUNTINFO";
    public const string SystemFile = "/proc/self/mountinfo";

    public MountTable(IReadOnlyList<MountEntry> entries) => Entries = entries;

    public IReadOnlyList<MountEntry> Entries { get; }

    /// <summary>The table of this process (empty where the OS has no mountinfo, e.g. Windows).</summary>
    public static MountTable Read(string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } overridden ? overridden : SystemFile;
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : new MountTable(Array.Empty<MountEntry>());
    }

    /// <summary>
    /// Parses mountinfo text: "id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions".
    /// Lines that do not have that shape are skipped rather than failing a backup.
    /// </summary>
    public static MountTable Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length < 6 || dash < 6 || fields.Length < dash + 3 || !int.TryParse(fields[0], out int id)) continue;
            entries.Add(new MountEntry(id, Unescape(fields[3]), Unescape(fields[4]), fields[dash + 1], Unescape(fields[dash + 2]),
                fields.Length > dash + 3 ? fields[dash + 3] : ""));
        }
        return new MountTable(entries);
    }

    /// <summary>The entry mounted at <paramref name="mountPoint"/> last (the one visible there), or null.</summary>
    public MountEntry? At(string mountPoint)
    {
        string wanted = TrimSlash(mountPoint);
        return Entries.LastOrDefault(e => TrimSlash(e.MountPoint) == wanted);
    }

    /// <summary>
    /// The folder where <paramref name="source"/> (or a parent folder of the export, e.g. host:/export for
    /// host:/export/sub) is mounted with one of <paramref name="fileSystemTypes"/>, and the entry; null when it is not.
    /// The mount that shows the whole requested path with the fewest extra folders wins; later mounts hide earlier ones
    /// at the same mount point, so an entry counts only when it is the visible one there.
    /// </summary>
    public (string Folder, MountEntry Entry)? FindSource(ShareSource source, IReadOnlyCollection<string> fileSystemTypes)
    {
        (string, MountEntry, int)? best = null;
        foreach (var e in Entries)
        {
            if (!fileSystemTypes.Contains(e.FileSystemType, StringComparer.Ordinal) || At(e.MountPoint) != e) continue;
            if (source.Relative(e.Source, e.Root) is not { } rest) continue;
            int depth = rest.Length == 0 ? 0 : rest.Count(c => c == '/') + 1;
            if (best is null || depth < best.Value.Item3)
                best = (rest.Length == 0 ? e.MountPoint : Path.Combine(e.MountPoint, rest), e, depth);
        }
        return best is { } b ? (b.Item1, b.Item2) : null;
    }

    private static string TrimSlash(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    /// <summary>mountinfo writes space, tab, newline and backslash as \040, \011, \012, \134.</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '3' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
