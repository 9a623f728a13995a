namespace LonghornBackup.Hosting;

/// <summary>
/// -LockTimeout is given in seconds, as Wait-Job -Timeout and other cmdlets do (a number bound to a TimeSpan would be
/// taken as ticks). Omitted means: fail at once with LockConflict when another operation holds the volume.
/// </summary>
internal static class LockTimeouts
{
    public const int MaxSeconds = 24 * 3600;

    public static TimeSpan? FromSeconds(int? seconds) => seconds is int s ? TimeSpan.FromSeconds(s) : null;
}
