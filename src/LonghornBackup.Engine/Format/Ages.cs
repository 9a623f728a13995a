using System.Globalization;

namespace LonghornBackup.Engine.Format;

/// <summary>Spans of time for messages, in the two largest units that matter: "45 s", "2 min 30 s", "3 h 5 min", "2 d 4 h".</summary>
public static class Ages
{
    public static string Describe(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        string Two(long a, string ua, long b, string ub) =>
            b > 0 ? string.Format(CultureInfo.InvariantCulture, "{0} {1} {2} {3}", a, ua, b, ub)
                  : string.Format(CultureInfo.InvariantCulture, "{0} {1}", a, ua);
        if (span.TotalDays >= 1) return Two((long)span.TotalDays, "d", span.Hours, "h");
        if (span.TotalHours >= 1) return Two(span.Hours, "h", span.Minutes, "min");
        if (span.TotalMinutes >= 1) return Two(span.Minutes, "min", span.Seconds, "s");
        return Two(span.Seconds, "s", 0, "");
    }
}
