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
        var hashers = new BatchChecksums(B, 2, () => Volatile.Read(ref reading) > 0, CancellationToken.None);
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
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(10)]
    public async Task A_group_still_gathering_when_the_export_stops_is_handed_back(int stopAfterMs)
    {
        using var stopping = new CancellationTokenSource();
        var hashers = new BatchChecksums(B, 1, () => true, stopping.Token);   // "more coming": the group waits 20 ms
        int calls = 0;
        var task = hashers.VerifyAsync(TestImages.RandomBytes(801), "not its checksum", ok => { if (!ok) Interlocked.Increment(ref calls); });
        await Task.Delay(stopAfterMs);   // the hasher has taken the block and waits for more
        stopping.Cancel();
        // Handed back unhashed (cancelled), or hashed first if the stop came late: either way it ends, called back once.
        Assert.Same(task, await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.True(task.IsCanceled || !await task);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Blocks_left_when_the_export_stops_get_their_callback_and_a_cancelled_task()
    {
        using var stopping = new CancellationTokenSource();
        var hashers = new BatchChecksums(B, 1, () => true, stopping.Token);   // always "more coming": the group waits
        stopping.Cancel();
        await Task.Delay(100);
        int calls = 0;
        bool? said = null;
        var task = hashers.VerifyAsync(TestImages.RandomBytes(800), "x", ok => { Interlocked.Increment(ref calls); said = ok; });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(1, calls);
        Assert.False(said);
    }
}
