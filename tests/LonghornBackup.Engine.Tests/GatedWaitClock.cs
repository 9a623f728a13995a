namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The system clock, except that a timer of one length (a lock protocol's check wait) fires only when the test calls
/// <see cref="Open"/>: a wait that ends on the test's word instead of after a time, so ordering is proven by events
/// whatever the machine's load. Other timers (lock renewal) and "now" are the system's.
/// </summary>
internal sealed class GatedWaitClock(TimeSpan gated) : TimeProvider
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ends every gated wait, those begun and those to come.</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>Completes when the first gated wait begins: from then on the client is waiting, and stays so until <see cref="Open"/>.</summary>
    public Task Waiting => _waiting.Task;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != gated) return base.CreateTimer(callback, state, dueTime, period);
        var timer = new GatedTimer();
        _waiting.TrySetResult();
        _open.Task.ContinueWith(_ => { if (!timer.Disposed) callback(state); }, TaskScheduler.Default);
        return timer;
    }

    private sealed class GatedTimer : ITimer
    {
        public volatile bool Disposed;
        public bool Change(TimeSpan dueTime, TimeSpan period) => !Disposed;
        public void Dispose() => Disposed = true;
        public ValueTask DisposeAsync() { Disposed = true; return ValueTask.CompletedTask; }
    }
}
