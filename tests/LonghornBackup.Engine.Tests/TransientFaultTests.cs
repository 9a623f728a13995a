using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Backups, restores, deep checks, export reads and deletions through the fault proxy (tools/faultproxy) in front of
/// the loopback server, run unchanged on S3 and Azure (one subclass each): resets, bodies reset or cut short, 500 and
/// 503 answers, stalls and cut uploads. At a 5% fault rate every operation completes with correct data; at 20%, with
/// few retries so that some faults outlast them, no operation returns wrong data, every failure is a clear error
/// saying the true number of attempts, and the store is left whole. What the store holds is checked without the proxy.
/// </summary>
public abstract class TransientFaultTests : IDisposable
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;
    /// <summary>Stalls short enough to keep the suite fast, long enough to be felt (the proxy's default is 3 s).</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(300);

    /// <summary>The target, reached directly: to check what the store holds.</summary>
    protected abstract TargetHarness T { get; }

    /// <summary>The server the proxy forwards to.</summary>
    protected abstract string Upstream { get; }

    /// <summary>The same target through the proxy.</summary>
    protected abstract Backupstore OpenThrough(FaultProxy proxy, int? maxErrorRetry = null, TimeSpan? firstRetryDelay = null);

    public void Dispose() => T.Dispose();

    /// <summary>Reads the whole backup through an export's block reader, a block at a time.</summary>
    private static async Task<byte[]> ExportAsync(Backupstore store, string volume, string backup)
    {
        var source = await RestoreSource.LoadAsync(store, volume, backup, false, "", "", None);
        using var stopping = new CancellationTokenSource();
        var reader = new BackupBlockReader(store.Store, source, 8L * (B + BlockCache.FrameRoom), 4, stopping.Token);
        try
        {
            var image = new byte[source.Size];
            for (long offset = 0; offset < source.Size; offset += B)
            {
                using var lease = await reader.ReadAsync(offset, (int)Math.Min(B, source.Size - offset), None);
                int at = (int)offset;
                foreach (var segment in lease.Segments)
                {
                    segment.AsSpan().CopyTo(image.AsSpan(at));
                    at += segment.Count;
                }
            }
            Assert.Equal(0, reader.FailedReads);
            return image;
        }
        finally
        {
            stopping.Cancel();
        }
    }

    private async Task<HashSet<string>> StoredChecksumsAsync(string volume) =>
        (await T.BlockKeysAsync(volume)).Select(k => Path.GetFileNameWithoutExtension(k)).ToHashSet();

    [Fact]
    public async Task At_a_5_percent_fault_rate_every_backup_restore_check_export_and_delete_completes_with_correct_data()
    {
        using var proxy = new FaultProxy(Upstream, rate: 0.05, seed: 5, stall: Stall);
        using var store = OpenThrough(proxy);

        string image = TestImages.Create(T.WorkFile("img"), 6L * B,
            (0, TestImages.RandomBytes(1)), (B, TestImages.CompressibleBytes(2)), (3L * B, TestImages.RandomBytes(3)), (5L * B + 1000, TestImages.RandomBytes(4, 5000)));
        var full = await T.BackupAsync("vol-net", image, "s1", mode: BackupMode.Full, via: store, locking: TestStore.FastLocks);
        string firstSha = TestImages.Sha256(image);
        TestImages.Write(image, B, TestImages.RandomBytes(5));
        TestImages.Write(image, 4L * B, TestImages.RandomBytes(6));
        var incremental = await T.BackupAsync("vol-net", image, "s2", via: store, locking: TestStore.FastLocks);
        string secondSha = TestImages.Sha256(image);
        Assert.True(incremental.Backup.IsIncremental);
        Assert.Equal(2, incremental.Counters.BlocksUploaded);

        Assert.Equal(firstSha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-net", full.Backup.Name, via: store, locking: TestStore.FastLocks)));
        Assert.Equal(secondSha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-net", incremental.Backup.Name, via: store, locking: TestStore.FastLocks)));

        var check = await new BackupVerifier(store, TestStore.FastLocks).VerifyAsync(new VerificationRequest { VolumeName = "vol-net", Deep = true }, null, None);
        Assert.Empty(check.Problems);
        Assert.All(check.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        Assert.Equal((await StoredChecksumsAsync("vol-net")).Count, check.BlocksChecked);

        Assert.Equal(await File.ReadAllBytesAsync(image), await ExportAsync(store, "vol-net", incremental.Backup.Name));

        // Deleting the full backup frees exactly the blocks only it used; the incremental one still restores.
        var deletion = await new BackupDeleter(store, TestStore.FastLocks).DeleteAsync("vol-net", new[] { full.Backup.Name }, null, null, None);
        Assert.True(deletion.BlocksCollected);
        Assert.Equal(new[] { incremental.Backup.Name }, await T.Store.ListBackupNamesAsync("vol-net", None));
        Assert.Equal(incremental.Backup.Blocks.Select(b => b.BlockChecksum).ToHashSet(), await StoredChecksumsAsync("vol-net"));
        Assert.Equal(secondSha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-net", incremental.Backup.Name, locking: TestStore.FastLocks)));

        var stats = await proxy.StatsAsync();
        Assert.True(stats.TotalFaults >= 5, $"only {stats.TotalFaults} faults in {stats.Requests} requests");
    }

    [Fact]
    public async Task At_a_20_percent_fault_rate_no_operation_returns_wrong_data_and_each_failure_is_a_clear_error()
    {
        using var proxy = new FaultProxy(Upstream, rate: 0.2, seed: 20, stall: Stall);
        // One, two and (the default) ten attempts a request: with one or two, many faults outlast them, so failures
        // happen and each must be clear; with ten, operations are expected to complete. Each round spreads its
        // operations over the three.
        var quick = TimeSpan.FromMilliseconds(20);
        using var once = OpenThrough(proxy, maxErrorRetry: 0, firstRetryDelay: quick);
        using var twice = OpenThrough(proxy, maxErrorRetry: 1, firstRetryDelay: quick);
        using var patient = OpenThrough(proxy, firstRetryDelay: quick);
        var stores = new[] { (Store: once, Attempts: 1), (Store: twice, Attempts: 2), (Store: patient, Attempts: 10) };
        var failures = new List<(string Operation, LonghornBackupException Error, int Attempts)>();
        int completed = 0;

        async Task<TResult?> Try<TResult>(string operation, int attempts, Func<Task<TResult>> run) where TResult : class
        {
            try
            {
                var result = await run();
                completed++;
                return result;
            }
            catch (LonghornBackupException e)
            {
                failures.Add((operation, e, attempts));
                return null;
            }
        }

        string image = TestImages.Create(T.WorkFile("img"), 4L * B, (0, TestImages.RandomBytes(40)), (2L * B, TestImages.CompressibleBytes(41)));
        var taken = new Dictionary<string, string>();   // backup → SHA-256 of the image it was taken of
        for (int round = 0; round < 3; round++)
        {
            TestImages.Write(image, round * (long)B, TestImages.RandomBytes(50 + round));
            var (via, attempts) = stores[round];
            var backup = await Try($"backup {round}", attempts, () => T.BackupAsync("vol-20", image, $"s{round}",
                mode: round == 0 ? BackupMode.Full : BackupMode.Incremental, via: via, locking: TestStore.FastLocks));
            if (backup is not null) taken[backup.Backup.Name] = TestImages.Sha256(image);

            int next = round;
            foreach (var (name, sha) in taken)
            {
                var (store, tries) = stores[next++ % 3];
                string? restored = await Try($"restore of {name}", tries, () => T.RestoreToNewFileAsync("vol-20", name, via: store, locking: TestStore.FastLocks));
                if (restored is not null) Assert.Equal(sha, TestImages.Sha256(restored));
            }
            var checker = stores[(round + 1) % 3];
            var check = await Try("deep check", checker.Attempts, () => new BackupVerifier(checker.Store, TestStore.FastLocks)
                .VerifyAsync(new VerificationRequest { VolumeName = "vol-20", Deep = true }, null, None));
            if (check is not null) Assert.True(check.Problems.Count == 0, $"round {round}: the deep check found {string.Join("; ", check.Problems.Select(p => p.Detail))}");
            if (taken.Count > 0)
            {
                var (name, sha) = taken.Last();
                var exporter = stores[(round + 2) % 3];
                var exported = await Try($"export of {name}", exporter.Attempts, () => ExportAsync(exporter.Store, "vol-20", name));
                if (exported is not null) Assert.Equal(sha, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(exported)).ToLowerInvariant());
            }
        }
        if (taken.Count > 1)
        {
            string oldest = taken.Keys.First();
            if (await Try($"deletion of {oldest}", 10, () => new BackupDeleter(patient, TestStore.FastLocks).DeleteAsync("vol-20", new[] { oldest }, null, null, None)) is not null)
                taken.Remove(oldest);
        }

        Assert.True(completed > 0 && taken.Count > 0, $"nothing completed: {string.Join("; ", failures.Select(f => f.Error.Message))}");
        Assert.NotEmpty(failures);   // with one attempt a request, some operations meet a fault
        foreach (var (operation, e, attempts) in failures)
        {
            // Clear: the store's own errors (never a wrong checksum or a corrupt config), naming what failed and how
            // often it was tried; or the lock a failed operation could not remove, which keeps a deletion out.
            if (e.ErrorId == ErrorIds.LockConflict && operation.StartsWith("deletion", StringComparison.Ordinal)) continue;
            Assert.True(e.ErrorId is ErrorIds.BackupTargetUnreachable or ErrorIds.StoreReadFailed or ErrorIds.StoreWriteFailed,
                $"{operation}: {e.ErrorId}: {e.Message}");
            string after = attempts == 1 ? "after 1 attempt" : $"after {attempts} attempts";
            Assert.True(e.Message.Contains(after), $"{operation}: {e.ErrorId}: {e.Message}");
            Assert.NotNull(e.RecommendedAction);
        }

        // The store is whole: every backup that completed is listed and restores to its image directly, and a deep
        // check without faults finds nothing wrong.
        var listed = await T.Store.ListBackupNamesAsync("vol-20", None);
        Assert.Subset(listed.ToHashSet(), taken.Keys.ToHashSet());
        foreach (var (name, sha) in taken)
            Assert.Equal(sha, TestImages.Sha256(await T.RestoreToNewFileAsync("vol-20", name, locking: TestStore.FastLocks)));
        var clean = await new BackupVerifier(T.Store, TestStore.FastLocks).VerifyAsync(new VerificationRequest { VolumeName = "vol-20", Deep = true }, null, None);
        Assert.Empty(clean.Problems);
        Assert.True((await proxy.StatsAsync()).TotalFaults > 0);
    }
}

[Collection("S3")]
public sealed class TransientFaultsOnS3Tests(S3Server server) : TransientFaultTests
{
    protected override TargetHarness T { get; } = new S3Harness(server);
    protected override string Upstream => server.Endpoint;

    protected override Backupstore OpenThrough(FaultProxy proxy, int? maxErrorRetry = null, TimeSpan? firstRetryDelay = null) =>
        server.Open(T.Url, endpoint: proxy.Endpoint, maxErrorRetry: maxErrorRetry, firstRetryDelay: firstRetryDelay);
}

[Collection("AzureBlob")]
public sealed class TransientFaultsOnAzureBlobTests(AzuriteServer server) : TransientFaultTests
{
    protected override TargetHarness T { get; } = new AzureBlobHarness(server);
    protected override string Upstream => server.Endpoint;

    protected override Backupstore OpenThrough(FaultProxy proxy, int? maxErrorRetry = null, TimeSpan? firstRetryDelay = null) =>
        server.Open(T.Url, endpoint: proxy.Endpoint, maxErrorRetry: maxErrorRetry, firstRetryDelay: firstRetryDelay);
}
