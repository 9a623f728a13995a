using LonghornBackup.Engine.Pipeline;

namespace LonghornBackup.Engine.Tests;

/// <summary>The bandwidth limit's arithmetic, on a simulated clock: no test here waits for real time.</summary>
public sealed class TokenBucketTests
{
    private const long MiB = 1024 * 1024;

    /// <summary>Time moves only when the test says; each wait asked for is recorded and completes at once.</summary>
    private sealed class SimulatedClock : IThrottleClock
    {
        public TimeSpan Now { get; set; }
        public TimeSpan LastDelay { get; private set; }
        public void LastDelay_Reset() => LastDelay = TimeSpan.Zero;
        public Task Delay(TimeSpan delay, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            LastDelay = delay;
            return Task.CompletedTask;
        }
    }

    [Theory]
    [InlineData(10 * MiB, 8, 2 * MiB)]      // eight upload workers, 2 MiB blocks
    [InlineData(2 * MiB, 4, 2 * MiB)]       // a slow link: each block is a second's worth
    [InlineData(100 * MiB, 16, 64 * 1024)]  // many small objects
    public async Task Workers_sharing_a_limit_move_its_rate_within_ten_percent_over_thirty_seconds(long rate, int workers, long chunk)
    {
        var clock = new SimulatedClock();
        var bucket = new TokenBucket(rate, clock);
        // Each worker transfers as soon as its previous wait is over: step the clock to the earliest ready worker.
        var ready = new TimeSpan[workers];
        long moved = 0;
        var end = TimeSpan.FromSeconds(30);
        while (true)
        {
            int next = Array.IndexOf(ready, ready.Min());
            if (ready[next] >= end) break;
            clock.Now = ready[next];
            await bucket.TakeAsync(chunk, CancellationToken.None);
            // The bytes move once the wait is over (a write waits, then sends): count them then.
            ready[next] = clock.Now + (clock.LastDelay > TimeSpan.Zero ? clock.LastDelay : TimeSpan.FromTicks(1));
            if (ready[next] <= end) moved += chunk;
            clock.LastDelay_Reset();
        }
        double achieved = moved / end.TotalSeconds;
        Assert.InRange(achieved, rate * 0.9, rate * 1.1);
    }

    [Fact]
    public async Task A_transfer_larger_than_the_burst_waits_for_its_whole_size_at_the_rate()
    {
        var clock = new SimulatedClock();
        var bucket = new TokenBucket(1 * MiB, clock);
        await bucket.TakeAsync(16 * MiB, CancellationToken.None);
        // A quarter second's burst was available; the rest takes its time.
        Assert.Equal(16 - 0.25, clock.LastDelay.TotalSeconds, 3);
    }

    [Fact]
    public async Task Idle_time_refills_only_a_burst_not_a_backlog()
    {
        var clock = new SimulatedClock();
        var bucket = new TokenBucket(4 * MiB, clock);
        clock.Now = TimeSpan.FromMinutes(10);   // ten idle minutes must not allow 2.4 GiB at once
        await bucket.TakeAsync(5 * MiB, CancellationToken.None);
        Assert.Equal((5 - 1) / 4.0, clock.LastDelay.TotalSeconds, 3);
    }

    [Fact]
    public async Task A_cancelled_wait_stops()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var bucket = new TokenBucket(1024);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bucket.TakeAsync(1 * MiB, cts.Token));
    }

    [Fact]
    public void A_limit_of_zero_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(0));
}
