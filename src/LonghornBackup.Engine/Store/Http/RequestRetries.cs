using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.Http;

/// <summary>
/// The one owner of a network store's retries: each attempt is the whole request, its body read included (a GET whose
/// body is reset or cut short is sent again and read from the start), repeated after a transient fault with
/// exponential backoff and jitter, up to <see cref="MaxAttempts"/>. The SDKs' own retries are off, so attempts are
/// counted once, backoff is never multiplied by a second layer, and the error after giving up says how many attempts
/// were really made. A cancelled token ends a backoff at once. Design notes: docs/target-drivers.md §7.
/// </summary>
internal sealed class RequestRetries
{
    /// <summary>Retries after the first attempt when a target does not say: Longhorn gives a PUT 10 attempts.</summary>
    public const int DefaultMaxRetries = 9;

    /// <summary>The wait before the first retry; each later one doubles, up to <see cref="MaxDelay"/> (or the first, when longer).</summary>
    public static readonly TimeSpan DefaultFirstDelay = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>The time limit of one request (and of each wait for more of a body) when a target does not say: HttpClient's.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(100);

    private readonly TimeSpan _firstDelay;

    public RequestRetries(int maxRetries, TimeSpan? firstDelay = null)
    {
        MaxAttempts = Math.Max(0, maxRetries) + 1;
        _firstDelay = firstDelay ?? DefaultFirstDelay;
    }

    public static RequestRetries For(StoreOpenOptions options) => new(options.MaxErrorRetry ?? DefaultMaxRetries, options.FirstRetryDelay);

    public int MaxAttempts { get; }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, fails with a fault <paramref name="isTransient"/> rejects, or
    /// has been made <see cref="MaxAttempts"/> times; then throws what <paramref name="giveUp"/> makes of the last
    /// failure and the number of attempts made. A LonghornBackupException, or cancellation of
    /// <paramref name="cancellationToken"/>, passes through at once.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, Func<Exception, bool> isTransient,
        Func<Exception, int, Exception> giveUp, CancellationToken cancellationToken)
    {
        for (int made = 1; ; made++)
        {
            Exception failure;
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested) && e is not LonghornBackupException)
            {
                failure = e;
            }
            if (made >= MaxAttempts || !isTransient(failure)) throw giveUp(failure, made);
            await Task.Delay(Backoff(made), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>" after N attempts", for the message of a transient fault that outlasted the retries.</summary>
    public static string AfterAttempts(int attempts) => attempts == 1 ? " after 1 attempt" : $" after {attempts} attempts";

    /// <summary>
    /// The wait after <paramref name="failedAttempts"/> failures: the first delay doubled for each earlier failure,
    /// capped, then between half and all of that at random, so clients that failed together do not retry together.
    /// </summary>
    public TimeSpan Backoff(int failedAttempts)
    {
        double cap = Math.Max(MaxDelay.TotalMilliseconds, _firstDelay.TotalMilliseconds);
        double full = Math.Min(cap, _firstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30)));
        return TimeSpan.FromMilliseconds(full * (0.5 + 0.5 * Random.Shared.NextDouble()));
    }
}
