using System.Diagnostics;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// kill -9 at random moments against s3rver, a store whose PUT is not atomic (it writes the body into the final
/// object as it arrives): whatever the kills leave, every backup that completed restores bit-exact, a deep check finds
/// nothing wrong, and the next backup completes. The backups run in child processes (the benchmark driver, which runs
/// the engine as the cmdlets do) so the kills are real SIGKILLs, mid-request.
/// </summary>
public sealed class KillLoopTests : IClassFixture<NonAtomicS3Server>
{
    private const int Kills = 20;
    private const int Blocks = 12;
    private readonly S3Server _server;

    public KillLoopTests(NonAtomicS3Server server) => _server = server;

    [Fact]
    public async Task The_server_of_these_tests_tears_an_object_whose_upload_is_cut_short()
    {
        // What the kill test relies on: s3rver writes a PUT's body into the object as it arrives.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { DefaultRequestHeaders = { ConnectionClose = true } };
        string path = $"/{S3Server.Bucket}/torn-{Guid.NewGuid():N}";
        var old = TestImages.RandomBytes(31, 1 << 20);
        (await http.PutAsync(_server.Endpoint + path, new ByteArrayContent(old))).EnsureSuccessStatusCode();
        using var proxy = new FaultProxy(_server.Endpoint, faults: new Dictionary<string, double> { ["reset-upload"] = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => http.PutAsync(proxy.Endpoint + path, new ByteArrayContent(TestImages.RandomBytes(32, 1 << 20))));
        Assert.NotEqual(old, await http.GetByteArrayAsync(_server.Endpoint + path));
    }

    [Fact]
    public async Task Twenty_backups_killed_at_random_moments_leave_every_completed_backup_restorable()
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        using var dir = new TempDir("lhb-kill");
        string image = TestImages.Create(Path.Combine(dir.Path, "vol.img"), Blocks * TestImages.Block,
            Enumerable.Range(0, Blocks).Select(i => ((long)i * TestImages.Block, TestImages.RandomBytes(seed + i))).ToArray());
        var url = S3Server.NewUrl();
        var imageOf = new Dictionary<string, string>(StringComparer.Ordinal);   // snapshot name -> the image's SHA-256

        // How long an uninterrupted run takes here and now: kills are spread over that time.
        var reported = new List<string>();   // backups a run reported Completed
        var first = await RunAsync(dir.Path, url, image, "s0", full: false, killAfter: null);
        imageOf["s0"] = TestImages.Sha256(image);
        Assert.True(first.Completed, first.Output);
        reported.Add(first.BackupName!);
        double runMs = first.Elapsed.TotalMilliseconds;

        int kills = 0, runs = 0;
        while (kills < Kills)
        {
            Assert.True(++runs <= 4 * Kills, $"only {kills} of {runs} runs were killed before they finished (seed {seed})");
            // Some blocks change each time, so every run has blocks to send; every third run is a full backup, which
            // would overwrite every block the earlier backups use.
            foreach (int block in Enumerable.Range(0, Blocks).OrderBy(_ => random.Next()).Take(3))
                TestImages.Write(image, (long)block * TestImages.Block, TestImages.RandomBytes(random.Next()));
            string snapshot = $"s{runs}";
            imageOf[snapshot] = TestImages.Sha256(image);
            var run = await RunAsync(dir.Path, url, image, snapshot, full: runs % 3 == 0,
                killAfter: TimeSpan.FromMilliseconds(random.NextDouble() * runMs * 1.2));
            if (run.Killed) kills++;
            else
            {
                Assert.True(run.Completed, $"run {runs} failed (seed {seed}): {run.Output}");
                reported.Add(run.BackupName!);
                runMs = (runMs + run.Elapsed.TotalMilliseconds) / 2;
            }
        }

        // A last backup after all the kills completes.
        TestImages.Write(image, 0, TestImages.RandomBytes(random.Next()));
        imageOf["last"] = TestImages.Sha256(image);
        var last = await RunAsync(dir.Path, url, image, "last", full: false, killAfter: null);
        Assert.True(last.Completed, last.Output);
        reported.Add(last.BackupName!);

        using var store = _server.Open(url);
        // Every backup a run reported Completed, and every other cfg that reads as complete (a run killed after its
        // commit), restores to the image it was taken of.
        var completed = new Dictionary<string, BackupConfig>(StringComparer.Ordinal);
        foreach (var name in await store.ListBackupNamesAsync("kill-vol", CancellationToken.None))
        {
            BackupConfig? cfg;
            try { cfg = await store.LoadBackupAsync("kill-vol", name, CancellationToken.None); }
            catch (Errors.LonghornBackupException e) when (e.ErrorId == Errors.ErrorIds.CorruptConfig) { continue; }   // torn by a kill: never reported
            if (cfg is { IsInProgress: false }) completed[name] = cfg;
        }
        Assert.All(reported, name => Assert.True(completed.ContainsKey(name), $"reported backup {name} is not complete in the store (seed {seed})"));
        foreach (var backup in completed.Values)
        {
            string output = Path.Combine(dir.Path, $"restore-{backup.Name}.img");
            await new RestoreEngine(store, TestStore.FastLocks).RunAsync(new RestoreRequest
            {
                VolumeName = "kill-vol",
                BackupName = backup.Name,
                OutputPath = output,
            }, null, CancellationToken.None);
            Assert.True(imageOf[backup.SnapshotName] == TestImages.Sha256(output),
                $"backup {backup.Name} of {backup.SnapshotName} does not restore to its image (seed {seed})");
            File.Delete(output);
        }
        // A deep check finds no damaged block; besides healthy backups it reports only what killed runs left:
        // in-progress cfgs, and cfgs torn as they were written.
        var check = await DeepCheckAsync(store);
        Assert.Empty(check.Problems);
        foreach (var b in check.Backups)
        {
            if (completed.ContainsKey(b.BackupName)) Assert.Equal(BackupHealth.Healthy, b.Health);
            else Assert.Contains(b.Health, new[] { BackupHealth.InProgress, BackupHealth.Error });
        }

        // Repair-LhBackupVolume clears those (every run here is over, so no lock is live: a 1 s lease), and then the
        // deep check finds every backup healthy and the completed ones all there.
        var quickLease = TestStore.FastLocks with { Expiry = TimeSpan.FromSeconds(1) };
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var repair = await new VolumeRepairer(store, quickLease).RepairAsync("kill-vol",
            new LeftoverCleanup { InProgressOlderThan = TimeSpan.Zero }, collectGarbage: true, null, null, CancellationToken.None);
        Assert.Empty(repair.Leftovers.Errors);
        Assert.True(repair.BlocksCollected, repair.CollectionSkippedReason);
        var after = await DeepCheckAsync(store);
        Assert.Empty(after.Problems);
        Assert.All(after.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        Assert.Equal(completed.Keys.Order(), after.Backups.Select(b => b.BackupName).Order());
        Assert.DoesNotContain((await _server.ReadAllAsync(url)).Keys, k => k.StartsWith(StorePaths.InFlightDir("kill-vol") + "/", StringComparison.Ordinal));
    }

    private static Task<VolumeVerification> DeepCheckAsync(Backupstore store) =>
        new BackupVerifier(store, TestStore.FastLocks).VerifyAsync(new VerificationRequest { VolumeName = "kill-vol", Deep = true }, null, CancellationToken.None);

    /// <param name="BackupName">The backup a completed run reported.</param>
    private sealed record Run(bool Completed, bool Killed, TimeSpan Elapsed, string Output, string? BackupName);

    /// <summary>One backup in a child process; with <paramref name="killAfter"/>, SIGKILLed then if it is still running.</summary>
    private async Task<Run> RunAsync(string work, Store.TargetUrl url, string image, string snapshot, bool full, TimeSpan? killAfter)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string json = Path.Combine(work, $"step-{snapshot}.json");
        foreach (var arg in new[]
                 {
                     BenchDriver(), "backup", "--target", url.Canonical, "--endpoint", _server.Endpoint, "--volume", "kill-vol",
                     "--snapshot", snapshot, "--image", image, "--mode", full ? "full" : "incremental", "--compression", "lz4",
                     "--block-size-mib", "2", "--json", json, "--no-cache", "--lock-check-ms", "100",
                 })
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in _server.Environment()) start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        bool killed = false;
        if (killAfter is { } delay)
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(delay)) != exited)
            {
                process.Kill(entireProcessTree: true);   // SIGKILL: no clean-up of any kind
                killed = true;
            }
        }
        await process.WaitForExitAsync();
        clock.Stop();
        string text = await output + await error;
        bool completed = !killed && process.ExitCode == 0;
        string? backupName = completed ? System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(json)).RootElement.GetProperty("Name").GetString() : null;
        return new Run(completed, killed, clock.Elapsed, text, backupName);
    }

    /// <summary>The benchmark driver built beside these tests (the test project builds it first).</summary>
    private static string BenchDriver()
    {
        string tfmDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);   // .../bin/<configuration>/net10.0
        string configuration = Path.GetFileName(Path.GetDirectoryName(tfmDir)!);
        string path = Path.Combine(ToolPaths.RepositoryRoot(), "bench", "LonghornBackup.Bench", "bin", configuration, "net10.0", "LonghornBackup.Bench.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution first");
        return path;
    }
}
