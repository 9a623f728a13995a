using System.Threading.Channels;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Hashes the blocks that reads fetched, several at once (the multi-buffer SHA-512 of Checksum.OfEach, as a restore's
/// verifiers do: eight 2 MiB blocks in one AVX-512 pass cost about what three cost one by one). While more fetches
/// are under way, a group waits up to <see cref="GatherWait"/> for them; a lone read (nothing else being fetched) is
/// hashed at once. One worker per two cores: the others fetch, copy and send.
/// </summary>
internal sealed class BatchChecksums
{
    private static readonly TimeSpan GatherWait = TimeSpan.FromMilliseconds(3);
    private readonly Channel<(ReadOnlyMemory<byte> Data, TaskCompletionSource<string> Result)> _pending =
        Channel.CreateUnbounded<(ReadOnlyMemory<byte>, TaskCompletionSource<string>)>();
    private readonly int _batch;
    private int _fetching;
    private long _groups, _hashed;

    public BatchChecksums(int blockSize, int workers, CancellationToken stopping)
    {
        workers = Math.Max(1, Math.Min(workers, Environment.ProcessorCount / 2));
        _batch = Math.Max(1, Checksum.BatchSize(blockSize, workers));
        for (int i = 0; i < workers; i++) _ = Task.Run(() => RunAsync(stopping));
    }

    /// <summary>Blocks hashed, and in how many groups (for the benchmark).</summary>
    public (long Blocks, long Groups) Hashed => (Interlocked.Read(ref _hashed), Interlocked.Read(ref _groups));

    /// <summary>A fetch has started whose block will be hashed soon (see <see cref="OfAsync"/> and <see cref="Abandon"/>).</summary>
    public void Expect() => Interlocked.Increment(ref _fetching);

    /// <summary>An expected block will not come (missing, failed to read or decode).</summary>
    public void Abandon() => Interlocked.Decrement(ref _fetching);

    /// <summary>The checksum of an expected block, whose bytes must stay unchanged until the task completes.</summary>
    public Task<string> OfAsync(ReadOnlyMemory<byte> data)
    {
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite((data, result))) result.SetCanceled();
        Interlocked.Decrement(ref _fetching);
        return result.Task;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var taken = new TaskCompletionSource<string>[_batch];
        var data = new ReadOnlyMemory<byte>[_batch];
        var sums = new string[_batch];
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                int count = Take(taken, data, 0);
                var deadline = DateTime.UtcNow + GatherWait;
                while (count < _batch && Volatile.Read(ref _fetching) > 0 && DateTime.UtcNow < deadline)
                {
                    var more = _pending.Reader.WaitToReadAsync(stopping).AsTask();
                    if (await Task.WhenAny(more, Task.Delay(1, stopping)).ConfigureAwait(false) == more) count = Take(taken, data, count);
                }
                if (count == 0) continue;
                try
                {
                    Checksum.OfEach(data.AsSpan(0, count), sums);
                    for (int i = 0; i < count; i++) taken[i].SetResult(sums[i]);
                }
                catch (Exception e)
                {
                    for (int i = 0; i < count; i++) taken[i].TrySetException(e);
                }
                Interlocked.Increment(ref _groups);
                Interlocked.Add(ref _hashed, count);
                Array.Clear(data, 0, count);
            }
        }
        catch (OperationCanceledException)
        {
            _pending.Writer.TryComplete();
            while (_pending.Reader.TryRead(out var left)) left.Result.TrySetCanceled();
        }
    }

    private int Take(TaskCompletionSource<string>[] taken, ReadOnlyMemory<byte>[] data, int count)
    {
        while (count < _batch && _pending.Reader.TryRead(out var item))
        {
            data[count] = item.Data;
            taken[count++] = item.Result;
        }
        return count;
    }
}
