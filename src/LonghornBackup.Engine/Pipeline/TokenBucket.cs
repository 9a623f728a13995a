using System.Diagnostics;

namespace LonghornBackup.Engine.Pipeline;

/// <summary>The time a <see cref="TokenBucket"/> runs on: the real one, or a test's.</summary>
public interface IThrottleClock
{
    TimeSpan Now { get; }
    Task Delay(TimeSpan delay, CancellationToken cancellationToken);
}

/// <summary>Monotonic time and real waits.</summary>
public sealed class SystemThrottleClock : IThrottleClock
{
    public static SystemThrottleClock Instance { get; } = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    public TimeSpan Now => _watch.Elapsed;
    public Task Delay(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, cancellationToken);
}

/// <summary>
/// A bandwidth limit shared by every worker of one operation. Each transfer takes its bytes at once, driving the
/// balance into debt if need be, and waits until the debt is paid at the limit's rate: so transfers of any size
/// (a 16 MiB block under a 1 MiB/s limit) go through, workers queue behind each other fairly, and over any stretch of
/// time the bytes moved are the rate times the time plus at most one burst (a quarter second's worth).
/// </summary>
public sealed class TokenBucket
{
    private readonly IThrottleClock _clock;
    private readonly double _burst;
    private readonly object _gate = new();
    private double _balance;
    private TimeSpan _last;

    public TokenBucket(long bytesPerSecond, IThrottleClock? clock = null)
    {
        if (bytesPerSecond <= 0) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), "A bandwidth limit must be above zero.");
        BytesPerSecond = bytesPerSecond;
        _clock = clock ?? SystemThrottleClock.Instance;
        _burst = bytesPerSecond / 4.0;
        _balance = _burst;
        _last = _clock.Now;
    }

    public long BytesPerSecond { get; }

    /// <summary>Takes <paramref name="bytes"/> and waits for as long as the limit requires.</summary>
    public Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = _clock.Now;
            _balance = Math.Min(_burst, _balance + (now - _last).TotalSeconds * BytesPerSecond);
            _last = now;
            _balance -= bytes;
            wait = _balance >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_balance / BytesPerSecond);
        }
        return wait > TimeSpan.Zero ? _clock.Delay(wait, cancellationToken) : Task.CompletedTask;
    }
}
