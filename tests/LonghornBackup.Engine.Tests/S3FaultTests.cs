using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Issue 3: S3 faults (5xx, throttling, connection resets, slow and stalled responses, damaged bodies) injected into
/// backups and restores. A backup either completes with correct data after retries or fails with a clear error;
/// either way every earlier backup still restores and a rerun completes, reusing the blocks already uploaded.
/// </summary>
[Collection("S3")]
public sealed class S3FaultTests(S3Server server)
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    private static string Image(TargetHarness t, int seed, int blocks) =>
        TestImages.Create(t.WorkFile($"img-{seed}-{blocks}.img"), blocks * (long)B,
            Enumerable.Range(0, blocks).Select(i => ((long)i * B, TestImages.RandomBytes(seed * 100 + i))).ToArray());

    [Fact]
    public async Task A_backup_through_every_kind_of_transient_fault_completes_with_correct_data()
    {
        using var t = new S3Harness(server);
        string first = Image(t, 1, 3);
        var clean = await t.BackupAsync("vol-faults", first, snapshot: "s1");

        // The first download of each object arrives damaged; of the other requests every other one fails, cycling
        // through the fault kinds.
        var kinds = new[] { S3Fault.InternalError500, S3Fault.SlowDown503, S3Fault.ResetBeforeSend, S3Fault.ResetAfterSend, S3Fault.Slow, S3Fault.Stall };
        int next = 0;
        var downloaded = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        FaultInjectingHandler? handler = null;
        using var faulty = server.Open(t.Url, timeout: TimeSpan.FromSeconds(2), wrap: inner => handler = new FaultInjectingHandler(inner, (n, r) =>
        {
            if (FaultInjectingHandler.IsObjectGet(r) && downloaded.TryAdd(r.RequestUri!.AbsolutePath, 0)) return S3Fault.CorruptBody;
            if (n % 2 == 1) return S3Fault.None;
            return kinds[Interlocked.Increment(ref next) % kinds.Length];
        }));

        string second = Image(t, 1, 6);
        TestImages.Write(second, 1 * B, TestImages.RandomBytes(999));
        var result = await t.BackupAsync("vol-faults", second, snapshot: "s2", concurrency: 3, via: faulty);
        Assert.Equal(4, result.Counters.BlocksUploaded);                         // blocks 1, 3, 4, 5 are new
        Assert.True(result.Backup.IsIncremental);
        string restoredThroughFaults = await t.RestoreToNewFileAsync("vol-faults", result.Backup.Name, via: faulty);

        foreach (var kind in kinds.Append(S3Fault.CorruptBody))
            Assert.True(handler!.Injected.GetValueOrDefault(kind) > 0, $"no {kind} was injected");
        Assert.Equal(TestImages.Sha256(second), TestImages.Sha256(restoredThroughFaults));
        Assert.Equal(TestImages.Sha256(second), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-faults", result.Backup.Name)));
        // Restores are sized by the volume's latest size (docs/backupstore-format.md §6.1): the 3-block image comes back padded to 6 blocks.
        Assert.Equal(TestImages.Sha256Padded(first, 6L * B), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-faults", clean.Backup.Name)));

        // What is stored is intact: every block decompresses to its checksum.
        var objects = await t.ObjectsAsync();
        foreach (var key in await t.BlockKeysAsync("vol-faults"))
        {
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            Compression.CompressionMethods.Get("lz4").Decompress(objects[key], output);
            Assert.Equal(Path.GetFileNameWithoutExtension(key), Checksum.Of(output.WrittenSpan));
        }
        var rerun = await t.BackupAsync("vol-faults", second, snapshot: "s3");
        Assert.Equal(0, rerun.Counters.BlocksUploaded);
    }

    [Fact]
    public async Task A_block_upload_that_fails_after_its_retries_fails_the_backup_clearly_and_the_rerun_reuses_what_was_uploaded()
    {
        using var t = new S3Harness(server);
        string image = Image(t, 2, 2);
        var clean = await t.BackupAsync("vol-down", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        var blocksBefore = (await t.BlockKeysAsync("vol-down")).ToHashSet();

        for (int i = 2; i < 8; i++) TestImages.Write(image, (long)i * B, TestImages.RandomBytes(2000 + i));   // six new blocks

        // Two block uploads get through, then the store answers 503 to every block upload.
        int blockPuts = 0;
        FaultInjectingHandler? handler = null;
        using var failing = server.Open(t.Url, maxErrorRetry: 2, wrap: inner => handler = new FaultInjectingHandler(inner, (_, r) =>
            FaultInjectingHandler.IsBlockPut(r) && Interlocked.Increment(ref blockPuts) > 2 ? S3Fault.SlowDown503 : S3Fault.None));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-down", image, snapshot: "s2", concurrency: 1, via: failing));
        Assert.Equal(ErrorIds.StoreWriteFailed, e.ErrorId);
        Assert.Contains("503 SlowDown", e.Message);
        Assert.Contains("after 3 attempts", e.Message);
        Assert.Contains(".blk", e.Message);
        Assert.NotNull(e.RecommendedAction);
        Assert.Equal(3, handler!.Injected[S3Fault.SlowDown503]);              // one block, tried three times

        // The failed run left its uploaded blocks and no backup; the earlier backup restores.
        var uploaded = (await t.BlockKeysAsync("vol-down")).Where(k => !blocksBefore.Contains(k)).ToArray();
        Assert.Equal(2, uploaded.Length);
        Assert.Equal(new[] { clean.Backup.Name }, await t.Store.ListBackupNamesAsync("vol-down", None));
        Assert.Equal(firstSha, TestImages.Sha256(await t.RestoreToNewFileAsync("vol-down", clean.Backup.Name)));

        // The rerun uploads only the blocks the failed run did not, without a request per block to find them.
        int heads = 0;
        using var counting = server.Open(t.Url, wrap: inner => new FaultInjectingHandler(inner, (_, r) =>
        {
            if (r.Method == HttpMethod.Head) Interlocked.Increment(ref heads);
            return S3Fault.None;
        }));
        var rerun = await t.BackupAsync("vol-down", image, snapshot: "s2-again", via: counting);
        Assert.Equal(6 - 2, rerun.Counters.BlocksUploaded);
        Assert.Equal(2 + 2, rerun.Counters.ExistingBlocksSkipped);              // the first backup's and the failed run's
        // One HEAD for the backup name and the lock protocol's two around each read of its own lock file (a constant
        // few: 4 here), none per block.
        Assert.True(heads <= 5, $"{heads} HEAD requests for {rerun.Counters.BlocksUploaded + rerun.Counters.ExistingBlocksSkipped} blocks");
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-down", rerun.Backup.Name)));
    }

    [Fact]
    public async Task A_store_that_drops_every_connection_fails_the_backup_as_unreachable_and_changes_nothing()
    {
        using var t = new S3Harness(server);
        string image = Image(t, 3, 2);
        var clean = await t.BackupAsync("vol-reset", image, snapshot: "s1");
        var before = await t.ObjectsAsync();

        using var dropping = server.Open(t.Url, maxErrorRetry: 1, wrap: inner => new FaultInjectingHandler(inner, (_, _) => S3Fault.ResetBeforeSend));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-reset", image, snapshot: "s2", via: dropping));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.Contains("after 2 attempts", e.Message);
        Assert.Equal(before, await t.ObjectsAsync());
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-reset", clean.Backup.Name)));
    }
}
