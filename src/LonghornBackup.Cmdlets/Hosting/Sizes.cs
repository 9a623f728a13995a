using System.Globalization;

namespace LonghornBackup.Hosting;

/// <summary>Human-readable byte counts (binary units), for progress text and views.</summary>
public static class Sizes
{
    private static readonly string[] Units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

    public static string Format(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1) { value /= 1024; unit++; }
        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.##", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
