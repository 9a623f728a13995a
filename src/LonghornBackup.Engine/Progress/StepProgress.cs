namespace LonghornBackup.Engine.Progress;

/// <summary>
/// Progress of an operation counted in items (backups read, blocks deleted) rather than bytes. Reports at most every
/// 200 ms from any thread; the percent is monotonic and reaches 100 only in <see cref="Complete"/>.
/// </summary>
internal sealed class StepProgress
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);
    private readonly IProgress<OperationProgress>? _sink;
    private readonly string _activity;
    private long _lastReportTicks = -1;
    private int _lastPercent;

    public StepProgress(IProgress<OperationProgress>? sink, string activity)
    {
        _sink = sink;
        _activity = activity;
    }

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> items of the phase that spans
    /// <paramref name="phaseStart"/>..<paramref name="phaseEnd"/> percent of the whole operation.</summary>
    public void Report(string status, long done, long total, int phaseStart, int phaseEnd, bool force = false)
    {
        if (_sink is null) return;
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastReportTicks);
        if (!force && last >= 0 && now - last < MinInterval.TotalMilliseconds) return;
        if (Interlocked.CompareExchange(ref _lastReportTicks, now, last) != last && !force) return;
        int percent = phaseStart + (total <= 0 ? 0 : (int)((phaseEnd - phaseStart) * Math.Min(done, total) / total));
        percent = Math.Min(99, Math.Max(percent, Volatile.Read(ref _lastPercent)));
        Volatile.Write(ref _lastPercent, percent);
        _sink.Report(new OperationProgress(_activity, total > 0 ? $"{status} ({done} of {total})" : status, 0, 0, percent));
    }

    public void Complete(string status) =>
        _sink?.Report(new OperationProgress(_activity, status, 0, 0, 100, Completed: true));
}
