using LonghornBackup.Engine.Export;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The export's hashers: each block is verified against its checksum in multi-buffer groups, and the caller's
/// callback (which caches the block and frees its slot) runs exactly once per block, also when the export stops.
/// </summary>
public class BatchChecksumsTests
{
    private const int B = TestImages.Block;

    [Fact]
    public async Task Each_block_is_verified_once_and_its_callback_says_whether_it_matched()
    {
        var blocks = Enumerable.Range(0, 11).Select(i => TestImages.RandomBytes(700 + i)).ToArray();
        int reading = blocks.Length;
        // A hasher that took a block asks whether more are coming, and is kept there until every block is queued:
        // the blocks arrive together whatever the machine's load (a group's own wait for more is only 20 ms).
        using var allQueued = new ManualResetEventSlim();
        var hashers = new BatchChecksums(B, 2, () =>
        {
            // Not a time window: the bound only keeps a test that never queues its blocks from hanging.
            if (!allQueued.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("the blocks were never all queued");
            return Volatile.Read(ref reading) > 0;
        }, CancellationToken.None);
        var calls = new int[blocks.Length];
        var said = new bool[blocks.Length];
        var results = blocks.Select((block, i) =>
        {
            // Every third block is checked against another block's checksum: a block damaged on the way.
            string expected = Checksum.Of(blocks[i % 3 == 0 ? (i + 1) % blocks.Length : i]);
            var task = hashers.VerifyAsync(block, expected, ok => { Interlocked.Increment(ref calls[i]); said[i] = ok; });
            Interlocked.Decrement(ref reading);
            return task;
        }).ToArray();
        allQueued.Set();

        var verified = await Task.WhenAll(results);
        for (int i = 0; i < blocks.Length; i++)
        {
            Assert.Equal(i % 3 != 0, verified[i]);
            Assert.Equal(verified[i], said[i]);
            Assert.Equal(1, calls[i]);
        }
        Assert.Equal(blocks.Length, hashers.Hashed.Blocks);
        Assert.True(hashers.Hashed.Groups < blocks.Length, $"{hashers.Hashed.Groups} groups for {blocks.Length} blocks arriving together");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_group_still_gathering_when_the_export_stops_is_handed_back(bool stopFromTheHasher)
    {
        using var stopping = new CancellationTokenSource();
        // The hasher asks whether more blocks are coming only once it holds one and gathers a group: the export stops
        // then, from the hasher's own call or from another thread while the group waits for more.
        var gathering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hashers = new BatchChecksums(B, 1, () =>
        {
            if (stopFromTheHasher) stopping.Cancel();
            gathering.TrySetResult();
            return true;   // "more coming": the group would wait for more
        }, stopping.Token);
        int calls = 0;
        var task = hashers.VerifyAsync(TestImages.RandomBytes(801), "not its checksum", ok => { if (!ok) Interlocked.Increment(ref calls); });
        // Not a time window: the bound only keeps a hasher that never gathers from hanging the test.
        await gathering.Task.WaitAsync(TimeSpan.FromMinutes(2));
        stopping.Cancel();

        // Handed back unhashed (cancelled), or hashed first: either way it ends, called back once.
        try { Assert.False(await task.WaitAsync(TimeSpan.FromMinutes(2))); }
        catch (OperationCanceledException) { Assert.True(task.IsCanceled); }
        catch (TimeoutException) { Assert.Fail("the block was never handed back after the export stopped"); }
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Blocks_left_when_the_export_stops_get_their_callback_and_a_cancelled_task()
    {
        using var stopping = new CancellationTokenSource();
        using var release = new ManualResetEventSlim();
        var gathering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The hasher takes the first block and, asking whether more are coming, is kept there: the blocks that come
        // meanwhile wait in its queue when the export stops. Then it is told no more are coming.
        var hashers = new BatchChecksums(B, 1, () =>
        {
            gathering.TrySetResult();
            // Not a time window: the bound only keeps a test that never lets the hasher go on from hanging.
            if (!release.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("the hasher was never let go on");
            return false;
        }, stopping.Token);
        var blocks = Enumerable.Range(0, 4).Select(i => TestImages.RandomBytes(800 + i)).ToArray();
        var calls = new int[blocks.Length + 1];
        var said = new bool?[blocks.Length + 1];
        Task<bool> Verify(int i, byte[] block) =>
            hashers.VerifyAsync(block, Checksum.Of(block), ok => { Interlocked.Increment(ref calls[i]); said[i] = ok; });

        var first = Verify(0, blocks[0]);
        // Not time windows: the bounds only keep a hasher that never gathers, or never hands a block back, from hanging the test.
        await gathering.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var queued = Enumerable.Range(1, blocks.Length - 1).Select(i => Verify(i, blocks[i])).ToArray();
        stopping.Cancel();
        release.Set();

        // The group it held is hashed; the blocks left in its queue are handed back unhashed.
        Assert.True(await first.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal(true, said[0]);
        foreach (var task in queued)
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromMinutes(2)));
        // A block that comes after the hasher stopped is handed back at once.
        var late = Verify(blocks.Length, TestImages.RandomBytes(899));
        Assert.True(late.IsCanceled, "a block queued after the hasher stopped was not handed back at once");

        Assert.All(calls, c => Assert.Equal(1, c));
        Assert.All(said.Skip(1), ok => Assert.Equal(false, ok));
        Assert.Equal(1, hashers.Hashed.Blocks);
    }
}
