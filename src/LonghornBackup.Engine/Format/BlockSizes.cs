using System.Globalization;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>Block sizes Longhorn accepts (docs/backupstore-format.md §3.1): 2 MiB everywhere, 16 MiB from Longhorn 1.10.</summary>
public static class BlockSizes
{
    public const int Default = 2 * 1024 * 1024;
    public const int Large = 16 * 1024 * 1024;

    public static bool IsValid(long size) => size is Default or Large;

    public static void Validate(long size)
    {
        if (size != Default && size != Large)
            throw new LonghornBackupException(ErrorIds.InvalidBlockSize, ErrorKind.InvalidArgument,
                $"Block size {size} is not supported: Longhorn restores only 2 MiB (2097152) or 16 MiB (16777216) blocks.",
                size);
    }

    /// <summary>
    /// The block size recorded in a backup's Parameters: decimal bytes or a Kubernetes quantity such as "2Mi".
    /// Missing, empty or zero means the 2 MiB default. Returns null when the value cannot be parsed.
    /// </summary>
    public static long? FromParameters(IReadOnlyDictionary<string, string>? parameters)
    {
        if (parameters is null || !parameters.TryGetValue(BackupParameters.BlockSize, out var raw) || string.IsNullOrWhiteSpace(raw))
            return Default;
        long? parsed = ParseQuantity(raw.Trim());
        return parsed == 0 ? Default : parsed;
    }

    /// <summary>The subset of Kubernetes resource.Quantity used for sizes: an integer with an optional suffix.</summary>
    public static long? ParseQuantity(string s)
    {
        (string suffix, long factor)[] suffixes =
        {
            ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40),
            ("k", 1000L), ("M", 1000_000L), ("G", 1000_000_000L), ("T", 1000_000_000_000L),
        };
        foreach (var (suffix, factor) in suffixes)
            if (s.EndsWith(suffix, StringComparison.Ordinal) &&
                long.TryParse(s[..^suffix.Length], NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                return checked(n * factor);
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) ? bytes : null;
    }
}
