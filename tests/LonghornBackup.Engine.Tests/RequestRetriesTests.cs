using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The retry loop every network store shares: transient faults are retried up to the bound, permanent ones and the
/// module's own errors are not, the error after giving up gets the number of attempts really made, and a cancel ends a
/// backoff at once.
/// </summary>
public sealed class RequestRetriesTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(1);

    private sealed class GaveUp(Exception last, int attempts) : Exception($"gave up after {attempts}", last)
    {
        public int Attempts { get; } = attempts;
    }

    private static Exception GiveUp(Exception e, int attempts) => new GaveUp(e, attempts);

    private static bool IoIsTransient(Exception e) => e is IOException;

    [Fact]
    public async Task Transient_faults_are_retried_until_the_request_succeeds()
    {
        var retries = new RequestRetries(maxRetries: 9, Quick);
        int made = 0;
        int result = await retries.RunAsync(_ => ++made < 4 ? throw new IOException("reset") : Task.FromResult(42), IoIsTransient, GiveUp, CancellationToken.None);
        Assert.Equal(42, result);
        Assert.Equal(4, made);
    }

    [Fact]
    public async Task A_fault_that_outlasts_the_retries_gives_up_with_the_number_of_attempts_made()
    {
        var retries = new RequestRetries(maxRetries: 2, Quick);
        int made = 0;
        var e = await Assert.ThrowsAsync<GaveUp>(() => retries.RunAsync<int>(_ => { made++; throw new IOException("reset"); }, IoIsTransient, GiveUp, CancellationToken.None));
        Assert.Equal(3, made);
        Assert.Equal(3, e.Attempts);
        Assert.IsType<IOException>(e.InnerException);
    }

    [Fact]
    public async Task A_permanent_fault_gives_up_after_one_attempt_and_the_modules_own_errors_pass_through()
    {
        var retries = new RequestRetries(maxRetries: 9, Quick);
        int made = 0;
        var e = await Assert.ThrowsAsync<GaveUp>(() => retries.RunAsync<int>(_ => { made++; throw new UnauthorizedAccessException("403"); }, IoIsTransient, GiveUp, CancellationToken.None));
        Assert.Equal(1, e.Attempts);
        Assert.Equal(1, made);

        var own = new LonghornBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData, "corrupt", "k");
        Assert.Same(own, await Assert.ThrowsAsync<LonghornBackupException>(() => retries.RunAsync<int>(_ => { made++; throw own; }, _ => true, GiveUp, CancellationToken.None)));
        Assert.Equal(2, made);
    }

    [Fact]
    public async Task A_cancel_ends_the_backoff_at_once_without_another_attempt()
    {
        // An hour's backoff: the call can only end because the cancel reached the wait.
        var retries = new RequestRetries(maxRetries: 9, TimeSpan.FromHours(1));
        using var cts = new CancellationTokenSource();
        int made = 0;
        var run = retries.RunAsync<int>(_ =>
        {
            made++;
            cts.Cancel();   // Ctrl+C while the failed request is being answered: the backoff that follows must not wait
            throw new IOException("reset");
        }, IoIsTransient, GiveUp, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal(1, made);
    }

    [Fact]
    public void The_backoff_doubles_from_the_first_delay_up_to_the_cap_with_jitter_of_at_most_half()
    {
        var retries = new RequestRetries(maxRetries: 9);
        for (int i = 0; i < 50; i++)
        {
            Assert.InRange(retries.Backoff(1).TotalMilliseconds, 100, 200);
            Assert.InRange(retries.Backoff(3).TotalMilliseconds, 400, 800);
            Assert.InRange(retries.Backoff(9).TotalMilliseconds, 5000, 10000);   // 200 ms · 2⁸ = 51 s, capped at 10 s
        }
        Assert.Equal(10, retries.MaxAttempts);
        Assert.Equal(1, new RequestRetries(maxRetries: 0).MaxAttempts);
    }
}
