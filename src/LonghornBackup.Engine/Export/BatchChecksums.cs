using System.Threading.Channels;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Verifies the blocks that reads fetched, several at once (the multi-buffer SHA-512 of Checksum.OfEach, as a restore's
/// verifiers do: eight 2 MiB blocks in one AVX-512 pass cost about what three cost one by one, so full groups matter).
/// A group waits up to <see cref="GatherWait"/> for more blocks while the caller says more are being read; a lone read
/// (nothing else being fetched) is hashed at once. One worker per two cores: the others fetch, copy and send.
/// </summary>
internal sealed class BatchChecksums
{
    /// <summary>
    /// Longest a group waits for blocks still being read. It waits only while one is (a lone read is hashed at once), and
    /// on a busy machine a waiting hasher leaves its core to the readers and senders: a 4 GiB export on two cores took
    /// 7% less time and 8% less CPU waiting up to 20 ms than up to 3 ms, in fewer and fuller groups.
    /// </summary>
    private static readonly TimeSpan GatherWait = TimeSpan.FromMilliseconds(20);
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();
    private readonly Func<bool> _moreComing;
    private readonly int _batch;
    private long _groups, _hashed;

    private sealed record Pending(ReadOnlyMemory<byte> Data, string Checksum, Action<bool> OnVerified, TaskCompletionSource<bool> Result);

    /// <param name="moreComing">True while a block that can still arrive soon is being fetched (worth gathering for).</param>
    public BatchChecksums(int blockSize, int workers, Func<bool> moreComing, CancellationToken stopping)
    {
        _moreComing = moreComing;
        workers = Math.Max(1, Math.Min(workers, Environment.ProcessorCount / 2));
        _batch = Math.Max(1, Checksum.BatchSize(blockSize, workers));
        for (int i = 0; i < workers; i++) _ = Task.Run(() => RunAsync(stopping));
    }

    /// <summary>Blocks hashed, and in how many groups (for the benchmark).</summary>
    public (long Blocks, long Groups) Hashed => (Interlocked.Read(ref _hashed), Interlocked.Read(ref _groups));

    /// <summary>
    /// Whether <paramref name="data"/> (unchanged until <paramref name="onVerified"/> runs) has <paramref name="checksum"/>.
    /// <paramref name="onVerified"/> runs exactly once on the hashing thread as soon as its group is hashed (false when it
    /// was not, the export stopping), before the task completes: the caller frees the block's slot there, so the next
    /// group can gather the blocks that slot lets in.
    /// </summary>
    public Task<bool> VerifyAsync(ReadOnlyMemory<byte> data, string checksum, Action<bool> onVerified)
    {
        var item = new Pending(data, checksum, onVerified, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(item)) Finish(item, null);   // stopped
        return item.Result.Task;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var taken = new Pending[_batch];
        var data = new ReadOnlyMemory<byte>[_batch];
        var sums = new string[_batch];
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                int count = Take(taken, data, 0);
                var deadline = DateTime.UtcNow + GatherWait;
                while (count < _batch && _moreComing() && DateTime.UtcNow < deadline)
                {
                    var more = _pending.Reader.WaitToReadAsync(stopping).AsTask();
                    if (await Task.WhenAny(more, Task.Delay(1, stopping)).ConfigureAwait(false) == more) count = Take(taken, data, count);
                }
                if (count == 0) continue;
                Exception? failure = null;
                try
                {
                    Checksum.OfEach(data.AsSpan(0, count), sums);
                }
                catch (Exception e)
                {
                    failure = e;
                }
                for (int i = 0; i < count; i++) Finish(taken[i], failure is null ? sums[i] : null, failure);
                Array.Clear(taken, 0, count);
                Array.Clear(data, 0, count);
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _hashed, count);
            }
        }
        catch (OperationCanceledException)
        {
            _pending.Writer.TryComplete();
            while (_pending.Reader.TryRead(out var left)) Finish(left, null);
        }
    }

    /// <summary>Hands a block back to its caller: matched or not, or (no sum) not hashed, stopped or failed.</summary>
    private static void Finish(Pending item, string? sum, Exception? failure = null)
    {
        bool verified = sum == item.Checksum;
        try
        {
            item.OnVerified(verified);
        }
        finally
        {
            if (failure is not null) item.Result.TrySetException(failure);
            else if (sum is null) item.Result.TrySetCanceled();
            else item.Result.TrySetResult(verified);
        }
    }

    private int Take(Pending[] taken, ReadOnlyMemory<byte>[] data, int count)
    {
        while (count < _batch && _pending.Reader.TryRead(out var item))
        {
            data[count] = item.Data;
            taken[count++] = item;
        }
        return count;
    }
}
