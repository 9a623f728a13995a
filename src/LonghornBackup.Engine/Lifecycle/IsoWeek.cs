using System.Globalization;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>ISO 8601 week numbering (weeks start on Monday; week 1 holds the year's first Thursday), as restic's weekly rule uses.</summary>
internal static class IsoWeek
{
#if NET
    public static int Year(DateTime t) => ISOWeek.GetYear(t);
    public static int Week(DateTime t) => ISOWeek.GetWeekOfYear(t);
#else
    // .NET Framework lacks ISOWeek: the week's Thursday decides the year, and its day of year the week.
    private static DateTime Thursday(DateTime t) => t.Date.AddDays(3 - ((int)t.DayOfWeek + 6) % 7);
    public static int Year(DateTime t) => Thursday(t).Year;
    public static int Week(DateTime t) => (Thursday(t).DayOfYear - 1) / 7 + 1;
#endif
}
