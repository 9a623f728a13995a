using System.Threading.Channels;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Hashes the blocks that on-demand reads fetched, several at once when several wait (the multi-buffer SHA-512 of
/// Checksum.OfEach, as a restore's verifiers do), never waiting for a batch to fill: a lone first read is hashed at
/// once. A worker per two cores: the others fetch, copy and send, and one 8-lane group hashes faster than eight
/// blocks one by one on every core.
/// </summary>
internal sealed class BatchChecksums
{
    private readonly Channel<(ReadOnlyMemory<byte> Data, TaskCompletionSource<string> Result)> _pending =
        Channel.CreateUnbounded<(ReadOnlyMemory<byte>, TaskCompletionSource<string>)>();
    private readonly int _batch;

    public BatchChecksums(int blockSize, int workers, CancellationToken stopping)
    {
        workers = Math.Max(1, Math.Min(workers, Environment.ProcessorCount / 2));
        _batch = Math.Max(1, Checksum.BatchSize(blockSize, workers));
        for (int i = 0; i < workers; i++) _ = Task.Run(() => RunAsync(stopping));
    }

    /// <summary>The checksum of <paramref name="data"/>, which must stay unchanged until the task completes.</summary>
    public Task<string> OfAsync(ReadOnlyMemory<byte> data)
    {
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.Writer.TryWrite((data, result))) result.SetCanceled();
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
                int count = 0;
                while (count < _batch && _pending.Reader.TryRead(out var item))
                {
                    data[count] = item.Data;
                    taken[count++] = item.Result;
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
                Array.Clear(data, 0, count);
            }
        }
        catch (OperationCanceledException)
        {
            _pending.Writer.TryComplete();
            while (_pending.Reader.TryRead(out var left)) left.Result.TrySetCanceled();
        }
    }
}
