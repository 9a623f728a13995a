namespace LonghornBackup.Engine.Progress;

/// <summary>
/// Counts bytes done for one operation from many threads and reports to an <see cref="IProgress{T}"/> at most
/// every <see cref="MinInterval"/>, so a fast pipeline does not flood its receiver. Reaches 100 only in <see cref="Complete"/>.
/// </summary>
internal sealed class ProgressTracker
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);
    private readonly IProgress<OperationProgress>? _sink;
    private readonly string _activity;
    private long _total;
    private long _done;
    private long _lastReportTicks;
    private int _lastPercent = -1;

    public ProgressTracker(IProgress<OperationProgress>? sink, string activity, long totalBytes)
    {
        _sink = sink;
        _activity = activity;
        _total = totalBytes;
    }

    public long Done => Interlocked.Read(ref _done);

    /// <summary>Adds work found on the way (the blocks a backup turns out to upload); percent never goes back.</summary>
    public void AddTotal(long bytes) => Interlocked.Add(ref _total, bytes);

    public void Add(long bytes, string status)
    {
        long done = Interlocked.Add(ref _done, bytes);
        if (_sink is null) return;
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _lastReportTicks);
        if (now - last < MinInterval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastReportTicks, now, last) != last) return;
        // 99 at most until the final config is written.
        long total = Interlocked.Read(ref _total);
        int percent = total <= 0 ? 0 : (int)Math.Min(99, done * 100 / total);
        percent = Math.Max(percent, Volatile.Read(ref _lastPercent));
        Volatile.Write(ref _lastPercent, percent);
        _sink.Report(new OperationProgress(_activity, status, done, total, percent));
    }

    /// <summary>Reports the operation done: 100 percent, with the bytes counted (all of the total by then).</summary>
    public void Complete(string status) =>
        _sink?.Report(new OperationProgress(_activity, status, Done, Interlocked.Read(ref _total), 100, Completed: true));
}
