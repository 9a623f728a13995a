using System.Buffers;
using System.Net;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Whole-request retries of the S3 driver, each fault injected below the SDK by a handler that counts the requests it
/// saw: a GET whose body is reset, cut short or stalls midway is sent again and read from the start (into the caller's
/// buffer as if the failed attempt had never been), with exactly one more request; a fault that outlasts the retries
/// says how many attempts were really made; a listing retries only its failed page; a permanent fault is not retried.
/// </summary>
[Collection("S3")]
public sealed class S3RetryTests(S3Server server)
{
    private const string Key = "backupstore/retry/object.bin";
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A fresh prefix holding one 300 kB object at <see cref="Key"/>, written without faults.</summary>
    private async Task<(TargetUrl Url, byte[] Data)> StoredObjectAsync()
    {
        var url = S3Server.NewUrl();
        var data = TestImages.RandomBytes(7, 300_000);
        using var clean = server.Open(url);
        await clean.Store.WriteAsync(Key, data, None);
        return (url, data);
    }

    /// <summary>The store with every odd-numbered object GET suffering <paramref name="fault"/>, and the handler counting requests.</summary>
    private LonghornBackup.Engine.Catalog.Backupstore OddGetsFail(TargetUrl url, S3Fault fault, out Func<FaultInjectingHandler> handler, TimeSpan? timeout = null)
    {
        FaultInjectingHandler? h = null;
        int gets = 0;
        var store = server.Open(url, timeout: timeout, wrap: inner => h = new FaultInjectingHandler(inner, (_, r) =>
            FaultInjectingHandler.IsObjectGet(r) && Interlocked.Increment(ref gets) % 2 == 1 ? fault : S3Fault.None));
        handler = () => h!;
        return store;
    }

    [Theory]
    [InlineData(S3Fault.ResetMidBody)]
    [InlineData(S3Fault.TruncateBody)]
    public async Task A_GET_whose_body_fails_midway_is_read_again_from_the_start_with_one_more_request(S3Fault fault)
    {
        var (url, data) = await StoredObjectAsync();
        using var store = OddGetsFail(url, fault, out var handler);

        Assert.Equal(data, await store.Store.ReadAsync(Key, None));   // a config read, through the MD5 check
        Assert.Equal(2, handler().Requests);

        // A block read into a reused buffer: what the failed attempt wrote, and what was there before, is gone.
        var destination = new ArrayBufferWriter<byte>();
        destination.Write(new byte[] { 9, 9, 9 });
        Assert.True(await store.Store.ReadToAsync(Key, destination, None));
        Assert.Equal(data, destination.WrittenSpan.ToArray());
        Assert.Equal(4, handler().Requests);

        // An export's read straight into a cache buffer.
        var into = new byte[data.Length + 10];
        Assert.Equal(data.Length, await store.Store.ReadIntoAsync(Key, into, None));
        Assert.Equal(data, into[..data.Length]);
        Assert.Equal(6, handler().Requests);
        Assert.Equal(3, handler().Injected[fault]);
    }

    [Fact]
    public async Task A_GET_whose_body_stalls_past_the_time_limit_is_read_again()
    {
        var (url, data) = await StoredObjectAsync();
        using var store = OddGetsFail(url, S3Fault.StallMidBody, out var handler, timeout: TimeSpan.FromSeconds(2));
        Assert.Equal(data, await store.Store.ReadAsync(Key, None));
        Assert.Equal(2, handler().Requests);
        Assert.Equal(1, handler().Injected[S3Fault.StallMidBody]);
    }

    [Fact]
    public async Task A_body_fault_that_outlasts_the_retries_fails_as_unreachable_saying_the_true_number_of_attempts()
    {
        var (url, _) = await StoredObjectAsync();
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, maxErrorRetry: 3, firstRetryDelay: TimeSpan.FromMilliseconds(10),
            wrap: inner => handler = new FaultInjectingHandler(inner, (_, r) => FaultInjectingHandler.IsObjectGet(r) ? S3Fault.ResetMidBody : S3Fault.None));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.ReadAsync(Key, None));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Contains($"read '{Key}'", e.Message);
        Assert.Contains("after 4 attempts", e.Message);
        Assert.Contains("reset", e.Message);
        Assert.Equal(4, handler!.Requests);
    }

    [Fact]
    public async Task A_listing_whose_page_is_cut_short_asks_again_for_that_page_only()
    {
        var url = S3Server.NewUrl();
        using (var clean = server.Open(url))
            foreach (var name in new[] { "a", "b", "c", "d", "e" })
                await clean.Store.WriteAsync($"backupstore/list/{name}.cfg", new byte[] { 1 }, None);

        // Pages of two: the second page's first answer is cut short.
        FaultInjectingHandler? handler = null;
        int lists = 0;
        using var store = server.Open(url, listPageSize: 2, wrap: inner => handler = new FaultInjectingHandler(inner, (_, r) =>
            !FaultInjectingHandler.IsObjectGet(r) && r.Method == HttpMethod.Get && Interlocked.Increment(ref lists) == 2 ? S3Fault.TruncateBody : S3Fault.None));
        var names = (await store.Store.ListAsync("backupstore/list", None)).Select(x => x.Name);
        Assert.Equal(new[] { "a.cfg", "b.cfg", "c.cfg", "d.cfg", "e.cfg" }, names);
        Assert.Equal(4, handler!.Requests);   // three pages, the second asked for twice
    }

    [Fact]
    public async Task A_deep_check_whose_block_reads_stay_busy_fails_clearly_instead_of_calling_the_blocks_corrupt()
    {
        using var t = new S3Harness(server);
        string image = TestImages.Create(t.WorkFile("img"), 2L * TestImages.Block, (0, TestImages.RandomBytes(31)));
        await t.BackupAsync("vol-busy", image, locking: TestStore.FastLocks);

        // Every block GET answers 503 SlowDown: nothing is wrong with the blocks, the store is only busy.
        using var busy = server.Open(t.Url, maxErrorRetry: 1, firstRetryDelay: TimeSpan.FromMilliseconds(10), wrap: inner => new FaultInjectingHandler(inner, (_, r) =>
            FaultInjectingHandler.IsObjectGet(r) && r.RequestUri!.AbsolutePath.EndsWith(".blk", StringComparison.Ordinal) ? S3Fault.SlowDown503 : S3Fault.None));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => new Lifecycle.BackupVerifier(busy, TestStore.FastLocks)
            .VerifyAsync(new Lifecycle.VerificationRequest { VolumeName = "vol-busy", Deep = true }, null, None));
        Assert.Equal(ErrorIds.StoreReadFailed, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains("503 SlowDown after 2 attempts", e.Message);
        Assert.Contains("try again later", e.RecommendedAction);
    }

    [Fact]
    public async Task A_permanent_answer_is_not_retried()
    {
        var (url, _) = await StoredObjectAsync();
        FaultInjectingHandler? handler = null;
        using var store = server.Open(url, wrap: inner => handler = new FaultInjectingHandler(inner, (_, _) => S3Fault.Canned)
        {
            Canned = (HttpStatusCode.Forbidden, "AccessDenied", "Access Denied", ""),
        });
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => store.Store.ReadAsync(Key, None));
        Assert.Equal(ErrorIds.AccessDenied, e.ErrorId);
        Assert.DoesNotContain("attempt", e.Message);
        Assert.Equal(1, handler!.Requests);
    }
}
