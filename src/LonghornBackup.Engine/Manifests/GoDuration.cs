using System.Globalization;
using System.Text;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Go's time.Duration text, as Kubernetes' metav1.Duration stores it (BackupTarget spec.pollInterval, e.g. "5m0s"):
/// a sequence of decimal numbers, each with a unit (ns, us, µs, ms, s, m, h), optionally signed; "0" alone is zero.
/// </summary>
public static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    {
        ("ns", 0.01), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    };

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        string s = text;
        bool negative = false;
        if (s[0] is '+' or '-') { negative = s[0] == '-'; s = s[1..]; }
        if (s == "0") return true;
        if (s.Length == 0) return false;
        double ticks = 0;
        int i = 0;
        while (i < s.Length)
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == start || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                return false;
            int unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            string unit = s[unitStart..i];
            var match = Units.FirstOrDefault(u => u.Unit == unit);
            if (match.Unit is null) return false;
            ticks += number * match.Ticks;
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        value = TimeSpan.FromTicks((long)Math.Round(ticks) * (negative ? -1 : 1));
        return true;
    }

    /// <summary>Go's Duration.String for whole seconds and above: "5m0s", "1h0m0s", "30s", "0s".</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var s = new StringBuilder();
        if (value < TimeSpan.Zero) { s.Append('-'); value = value.Negate(); }
        long hours = (long)value.TotalHours;
        if (hours > 0) s.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || value.Minutes > 0) s.Append(value.Minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        double seconds = value.Seconds + value.Milliseconds / 1000.0 + (value.Ticks % TimeSpan.TicksPerMillisecond) / (double)TimeSpan.TicksPerSecond;
        s.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s');
        return s.ToString();
    }
}
