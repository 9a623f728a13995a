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
            }
            while (queue.TryTake(out var report)) last = Write(activityId, parentActivityId, report, started);
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

    private ProgressRecord Write(int id, int? parent, OperationProgress p, DateTime started)
    {
        var record = new ProgressRecord(id, p.Activity, string.IsNullOrEmpty(p.Status) ? "Working" : p.Status)
        {
            PercentComplete = Math.Clamp(p.Percent, 0, 100),
            RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (parent is int parentId) record.ParentActivityId = parentId;
        double seconds = (DateTime.UtcNow - started).TotalSeconds;
        if (p.BytesTotal > 0)
        {
            double rate = seconds > 0 ? p.BytesDone / seconds : 0;
            record.CurrentOperation = $"{Sizes.Format(p.BytesDone)} of {Sizes.Format(p.BytesTotal)}" +
                (rate > 0 ? $", {Sizes.Format((long)rate)}/s" : "");
            if (rate > 0 && !p.Completed) record.SecondsRemaining = (int)Math.Min(int.MaxValue, (p.BytesTotal - p.BytesDone) / rate);
        }
        _cmdlet.WriteProgress(record);
        return record;
    }

    public void Dispose() => _cts.Dispose();

    private sealed class QueueProgress : IProgress<OperationProgress>
    {
        private readonly BlockingCollection<OperationProgress> _queue;
        public QueueProgress(BlockingCollection<OperationProgress> queue) => _queue = queue;
        public void Report(OperationProgress value) => _queue.Add(value);
    }
}
