using System.Collections.Concurrent;
using System.Management.Automation;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Hosting;

/// <summary>
/// Runs an engine operation on a worker thread while the cmdlet's pipeline thread waits, relaying progress
/// (throttled) and cancelling the operation when the user presses Ctrl+C. Only the pipeline thread writes to the host.
/// </summary>
internal sealed class EngineRunner : IDisposable
{
    private readonly Cmdlet _cmdlet;
    private readonly CancellationTokenSource _cts = new();
    private static int s_nextActivityId = 1;

    public EngineRunner(Cmdlet cmdlet) => _cmdlet = cmdlet;

    public CancellationToken Token => _cts.Token;

    private readonly ConcurrentQueue<string> _warnings = new();

    /// <summary>Queues a warning from an engine thread; the pipeline thread writes it while the operation runs.</summary>
    public void Warn(string text) => _warnings.Enqueue(text);

    /// <summary>Called from StopProcessing (another thread): asks the running operation to stop.</summary>
    public void Cancel() => _cts.Cancel();

    public T Run<T>(Func<IProgress<OperationProgress>, CancellationToken, Task<T>> operation, int? parentActivityId = null)
    {
        var queue = new BlockingCollection<OperationProgress>(new ConcurrentQueue<OperationProgress>());
        var progress = new QueueProgress(queue);
        var task = Task.Run(() => operation(progress, _cts.Token));
        int activityId = Interlocked.Increment(ref s_nextActivityId);
        var started = DateTime.UtcNow;
        ProgressRecord? last = null;
        try
        {
            while (!task.IsCompleted)
            {
                if (queue.TryTake(out var report, 100)) last = Write(activityId, parentActivityId, report, started);
                WriteWarnings();
            }
            while (queue.TryTake(out var report)) last = Write(activityId, parentActivityId, report, started);
            WriteWarnings();
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            if (last is not null && last.RecordType != ProgressRecordType.Completed)
            {
                last.RecordType = ProgressRecordType.Completed;
                _cmdlet.WriteProgress(last);
            }
        }
    }

    private void WriteWarnings()
    {
        while (_warnings.TryDequeue(out var text)) _cmdlet.WriteWarning(text);
    }

    private ProgressRecord Write(int id, int? parent, OperationProgress p, DateTime started)
    {
        // The bar ends full: the finished work as the last frame before it goes, with its bytes and rate.
        if (p.Completed && p.BytesTotal > 0) Write(id, parent, p with { Completed = false, Percent = 100 }, started);
        double seconds = (DateTime.UtcNow - started).TotalSeconds;
        double rate = seconds > 0 && p.BytesTotal > 0 ? p.BytesDone / seconds : 0;
        var record = new ProgressRecord(id, p.Activity, StatusText(p, rate))
        {
            PercentComplete = Math.Clamp(p.Percent, 0, 100),
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (parent is int parentId) record.ParentActivityId = parentId;
        if (rate > 0 && !p.Completed) record.SecondsRemaining = (int)Math.Min(int.MaxValue, Math.Max(0, p.BytesTotal - p.BytesDone) / rate);
        _cmdlet.WriteProgress(record);
        return record;
    }

    /// <summary>
    /// "Backing up blocks: 12 MiB of 660 MiB, 150 MiB/s": bytes and rate go in the status, because PowerShell's
    /// Minimal progress view (the default) shows only the activity and the status.
    /// </summary>
    private static string StatusText(OperationProgress p, double rate)
    {
        string status = string.IsNullOrEmpty(p.Status) ? "Working" : p.Status;
        if (p.BytesTotal <= 0) return status;
        return $"{status}: {Sizes.Format(p.BytesDone)} of {Sizes.Format(p.BytesTotal)}" + (rate > 0 ? $", {Sizes.Format((long)rate)}/s" : "");
    }

    public void Dispose() => _cts.Dispose();

    private sealed class QueueProgress : IProgress<OperationProgress>
    {
        private readonly BlockingCollection<OperationProgress> _queue;
        public QueueProgress(BlockingCollection<OperationProgress> queue) => _queue = queue;
        public void Report(OperationProgress value) => _queue.Add(value);
    }
}
