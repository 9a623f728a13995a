using System.Text.RegularExpressions;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// The files a backupstore is made of (*.cfg, *.blk, *.lck, and the module's own *.inflight records of blocks in
/// flight) and the temporary files FileSystemStore writes on the way to them ("&lt;name&gt;.tmp.&lt;digits&gt;"). Tree deletes remove only these: whatever else someone put in a volume's
/// folder is left where it is and reported.
/// </summary>
public static class OwnFiles
{
    private static readonly Regex TempName = new(@"\.(cfg|blk|lck|inflight)\.tmp\.[0-9]+$", RegexOptions.CultureInvariant);

    /// <summary>True for the last segment of a key (or a file name) that the format or this module writes.</summary>
    public static bool IsOwn(string name) =>
        name.EndsWith(".cfg", StringComparison.Ordinal) || name.EndsWith(".blk", StringComparison.Ordinal) ||
        name.EndsWith(".lck", StringComparison.Ordinal) || name.EndsWith(".inflight", StringComparison.Ordinal) || TempName.IsMatch(name);

    /// <summary>
    /// True for a temporary file of FileSystemStore's atomic writes ("&lt;name&gt;.tmp.&lt;digits&gt;"): the data of a
    /// write that never reached its rename when it is older than any write takes.
    /// </summary>
    public static bool IsTemporary(string name) => TempName.IsMatch(name);

    public static string NameOf(string key)
    {
        int slash = key.LastIndexOf('/');
        return slash < 0 ? key : key[(slash + 1)..];
    }
}
