using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store;

/// <summary>Checks keys before a driver maps them to a path: no empty, '.' or '..' segments, no backslashes.</summary>
internal static class StoreKeys
{
    public static string[] Segments(string key)
    {
        if (key.Length == 0) return Array.Empty<string>();
        var segments = key.Split('/');
        foreach (var s in segments)
            if (s.Length == 0 || s == "." || s == ".." || s.Contains('\\') || s.Contains('\0'))
                throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                    $"'{key}' is not a valid store key.", key);
        return segments;
    }
}
