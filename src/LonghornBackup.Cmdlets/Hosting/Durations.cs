namespace LonghornBackup.Hosting;

/// <summary>Human-readable lengths of time ("2 d 4 h", "3 min 20 s"), for messages and views.</summary>
public static class Durations
{
    public static string Format(TimeSpan span) => Engine.Format.Ages.Describe(span);
}
