using System.Globalization;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Statistics;

/// <summary>
/// A block checksum (64 hex characters) as four numbers: 32 bytes a block instead of a 64-character string's ~150,
/// so counting references over millions of blocks stays small.
/// </summary>
internal readonly record struct BlockKey(ulong A, ulong B, ulong C, ulong D)
{
    public static bool TryParse(string checksum, out BlockKey key)
    {
        key = default;
        if (!Checksum.IsValid(checksum)) return false;
        key = new BlockKey(Part(checksum, 0), Part(checksum, 1), Part(checksum, 2), Part(checksum, 3));
        return true;
    }

    private static ulong Part(string checksum, int index) =>
        ulong.Parse(checksum.Substring(index * 16, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
