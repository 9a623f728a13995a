using System.Globalization;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// Which blocks a partial deep check reads, chosen by checksum so the choice is the same on every run and for every
/// backup sharing a block: part <c>k</c> of <c>n</c> (the <c>n</c> parts split the blocks exactly, so n nightly runs
/// read each block once), or a sample of a percentage (the same blocks each time).
/// </summary>
public sealed class BlockShare
{
    private readonly int _part, _parts;
    private readonly double _fraction;

    private BlockShare(int part, int parts, double fraction, string text)
    {
        _part = part;
        _parts = parts;
        _fraction = fraction;
        Text = text;
    }

    /// <summary>Every block.</summary>
    public static BlockShare All { get; } = new(1, 1, 1, "all");

    /// <summary>"all", "3/7" or "10%".</summary>
    public string Text { get; }

    public bool IsAll => _parts == 1 && _fraction >= 1;

    public override string ToString() => Text;

    /// <summary>Whether the block named <paramref name="checksum"/> (64 hex) is in this share.</summary>
    public bool Includes(string checksum)
    {
        if (IsAll) return true;
        ulong head = ulong.Parse(checksum.Substring(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return _parts > 1 ? (int)(head % (ulong)_parts) == _part - 1 : head < _fraction * 18446744073709551616.0;
    }

    /// <summary>Part <c>k</c> of <c>n</c>, written "k/n" (1 &lt;= k &lt;= n &lt;= 1000).</summary>
    public static BlockShare ParseSubset(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1000 && k >= 1 && k <= n)
            return new BlockShare(k, n, 1, $"{k}/{n}");
        throw Invalid(text, "-Subset", "part k of n written k/n, with 1 <= k <= n <= 1000 (e.g. 3/7)");
    }

    /// <summary>A percentage of the blocks, written "10%" or "10" (above 0, at most 100).</summary>
    public static BlockShare ParseSample(string text)
    {
        string number = text.Trim().TrimEnd('%').Trim();
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent) && percent > 0 && percent <= 100)
            return new BlockShare(1, 1, percent / 100, percent.ToString("0.##", CultureInfo.InvariantCulture) + "%");
        throw Invalid(text, "-Sample", "a percentage above 0 and at most 100 (e.g. 10%)");
    }

    private static LonghornBackupException Invalid(string text, string parameter, string what) =>
        new(ErrorIds.InvalidBlockShare, ErrorKind.InvalidArgument, $"'{text}' is not a share of blocks for {parameter}: give {what}.", text);
}
