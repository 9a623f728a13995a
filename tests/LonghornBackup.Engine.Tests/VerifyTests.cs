using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Verification without restoring: quick finds missing blocks, deep also finds corrupt ones, each block is read once,
/// and every verdict names the blocks and the backups they break.
/// </summary>
public class VerifyTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-v";

    /// <summary>b1 = X0 X1 X2; b2 = X0 Y1 X2; b3 = Z0 Y1 X2 (X2 compressible). X0 is in b1 and b2 only, Y1 in b2 and b3.</summary>
    private static async Task<(TestStore T, string[] Names, Dictionary<string, string> Blocks)> ThreeBackups(string? compression = null)
    {
        var t = new TestStore();
        var data = new Dictionary<string, byte[]>
        {
            ["X0"] = TestImages.RandomBytes(1), ["X1"] = TestImages.RandomBytes(2), ["X2"] = TestImages.CompressibleBytes(3),
            ["Y1"] = TestImages.CompressibleBytes(4), ["Z0"] = TestImages.RandomBytes(5),
        };
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * TestImages.MiB, (0, data["X0"]), (1L * B, data["X1"]), (2L * B, data["X2"]));
        var names = new string[3];
        names[0] = (await t.BackupAsync(V, image, snapshot: "s1", compression: compression)).Backup.Name;
        TestImages.Write(image, 1L * B, data["Y1"]);
        names[1] = (await t.BackupAsync(V, image, snapshot: "s2")).Backup.Name;
        TestImages.Write(image, 0, data["Z0"]);
        names[2] = (await t.BackupAsync(V, image, snapshot: "s3")).Backup.Name;
        return (t, names, data.ToDictionary(p => p.Key, p => Checksum.Of(p.Value)));
    }

    private static BackupVerificationResult Of(VolumeVerification v, string backup) => v.Backups.Single(b => b.BackupName == backup);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_sound_volume_is_healthy(bool deep)
    {
        var (t, names, _) = await ThreeBackups();
        using var _t = t;
        var v = await t.VerifyAsync(V, deep);
        Assert.Equal(names, v.Backups.Select(b => b.BackupName));   // oldest first, as Get-LhBackup lists them
        Assert.All(v.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        Assert.All(v.Backups, b => Assert.True(b.IsHealthy));
        Assert.Empty(v.Problems);
        Assert.Equal(5, v.BlocksChecked);
        Assert.Equal(deep ? t.BlockFiles(V).Sum(f => new FileInfo(f).Length) : 0, v.BytesRead);
        Assert.Equal(3, Of(v, names[0]).BlocksReferenced);
        Assert.Empty(t.LockFiles(V));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_missing_block_breaks_exactly_the_backups_that_reference_it(bool deep)
    {
        var (t, names, blocks) = await ThreeBackups();
        using var _t = t;
        File.Delete(t.BlockFile(V, blocks["X0"]));

        var v = await t.VerifyAsync(V, deep);

        var problem = Assert.Single(v.Problems);
        Assert.Equal(blocks["X0"], problem.Checksum);
        Assert.Equal(BlockProblemKind.Missing, problem.Kind);
        Assert.Equal(new[] { names[0], names[1] }.Order(StringComparer.Ordinal), problem.AffectedBackups.Order(StringComparer.Ordinal));
        Assert.Equal(StorePaths.Block(V, blocks["X0"]), problem.Key);
        foreach (var name in names[..2])
        {
            Assert.Equal(BackupHealth.Missing, Of(v, name).Health);
            Assert.False(Of(v, name).IsHealthy);
            Assert.Equal(blocks["X0"], Assert.Single(Of(v, name).Problems).Checksum);
        }
        Assert.Equal(BackupHealth.Healthy, Of(v, names[2]).Health);
        // What the verdict says is what a restore finds.
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync(V, names[0], t.WorkFile("r.img")));
        Assert.Equal(ErrorIds.BlockMissing, e.ErrorId);
    }

    [Theory]
    [InlineData("lz4")]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task Only_a_deep_check_finds_a_corrupt_block_and_names_the_backups_it_breaks(string method)
    {
        var (t, names, blocks) = await ThreeBackups(method);
        using var _t = t;
        t.CorruptBlock(V, blocks["Y1"]);

        var quick = await t.VerifyAsync(V, deep: false);
        Assert.All(quick.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));   // the file is there

        var deep = await t.VerifyAsync(V, deep: true);
        var problem = Assert.Single(deep.Problems);
        Assert.Equal(blocks["Y1"], problem.Checksum);
        Assert.Equal(BlockProblemKind.Corrupt, problem.Kind);
        Assert.Contains(blocks["Y1"], problem.Detail);
        Assert.Equal(new[] { names[1], names[2] }.Order(StringComparer.Ordinal), problem.AffectedBackups.Order(StringComparer.Ordinal));
        Assert.Equal(BackupHealth.Healthy, Of(deep, names[0]).Health);
        Assert.Equal(BackupHealth.Corrupt, Of(deep, names[1]).Health);
        Assert.Equal(BackupHealth.Corrupt, Of(deep, names[2]).Health);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync(V, names[2], t.WorkFile("r.img")));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.ChecksumMismatch, ErrorIds.BlockDecompressionFailed });
    }

    [Theory]
    [InlineData(1, BackupHealth.Healthy, 2)]   // damaged on its way once: read again, sound
    [InlineData(99, BackupHealth.Corrupt, 3)]  // damaged every time: corrupt after three reads
    public async Task A_deep_check_reads_a_block_that_fails_again_before_calling_it_corrupt(int damagedReads, BackupHealth verdict, int reads)
    {
        var (t, names, blocks) = await ThreeBackups();
        using var _t = t;
        string victim = blocks["Y1"] + ".blk";
        int damaged = 0;
        HookedStore? hooked = null;
        var via = t.Through(s => hooked = new HookedStore(s)
        {
            AfterRead = (key, data) =>
            {
                if (data is null || !key.EndsWith(victim, StringComparison.Ordinal) || Interlocked.Increment(ref damaged) > damagedReads) return data;
                var copy = (byte[])data.Clone();
                copy[copy.Length / 2] ^= 0x01;
                return copy;
            },
        });

        var v = await t.VerifyAsync(V, deep: true, via: via);

        Assert.Equal(reads, hooked!.Where("Read", victim).Count());
        Assert.Equal(verdict, Of(v, names[2]).Health);
        Assert.Equal(BackupHealth.Healthy, Of(v, names[0]).Health);
        if (verdict == BackupHealth.Corrupt) Assert.Equal(blocks["Y1"], Assert.Single(v.Problems).Checksum);
        else Assert.Empty(v.Problems);
    }

    [Fact]
    public async Task A_deep_check_reads_each_referenced_block_once()
    {
        var (t, names, blocks) = await ThreeBackups();
        using var _t = t;
        HookedStore? hooked = null;
        var via = t.Through(s => hooked = new HookedStore(s));
        await t.VerifyAsync(V, deep: true, via: via);
        var reads = hooked!.Where("Read", ".blk").Select(c => Path.GetFileNameWithoutExtension(c.Key)).ToList();
        Assert.Equal(blocks.Values.Order(), reads.Order());

        // Checking one backup reads only its blocks.
        hooked.Calls.Clear();
        var one = await t.VerifyAsync(V, deep: true, backups: new[] { names[2] }, via: via);
        Assert.Equal(new[] { names[2] }, one.Backups.Select(b => b.BackupName));
        Assert.Equal(new[] { blocks["Z0"], blocks["Y1"], blocks["X2"] }.Order(),
            hooked.Where("Read", ".blk").Select(c => Path.GetFileNameWithoutExtension(c.Key)).Order());
    }

    [Fact]
    public async Task In_progress_and_unreadable_backups_are_reported_as_such()
    {
        var (t, names, _) = await ThreeBackups();
        using var _t = t;
        await t.Store.SaveBackupAsync(new BackupConfig { Name = "backup-00000000000000ee", VolumeName = V, CompressionMethod = "lz4" }, CancellationToken.None);
        File.WriteAllText(t.BackupCfgFile(V, names[0]), "not json");

        var v = await t.VerifyAsync(V, deep: true, backups: new[] { names[0], names[1], "backup-00000000000000ee", "backup-0000000000000001" });

        Assert.Equal(BackupHealth.InProgress, Of(v, "backup-00000000000000ee").Health);
        Assert.True(Of(v, "backup-00000000000000ee").IsHealthy);
        Assert.Equal(BackupHealth.Error, Of(v, names[0]).Health);
        Assert.False(Of(v, names[0]).IsHealthy);
        Assert.Contains("not valid", Of(v, names[0]).Error);
        Assert.Equal(BackupHealth.Healthy, Of(v, names[1]).Health);
        Assert.Equal(new[] { "backup-0000000000000001" }, v.NotFound);
    }

    [Fact]
    public async Task A_deep_check_reports_progress_to_100_and_can_be_cancelled()
    {
        var (t, _, _) = await ThreeBackups();
        using var _t = t;
        var reports = new List<OperationProgress>();
        var progress = new SyncProgress(reports);
        await t.VerifyAsync(V, deep: true, progress: progress);
        Assert.Contains(reports, r => r.Completed && r.Percent == 100);

        using var cts = new CancellationTokenSource();
        HookedStore? hooked = null;
        var via = t.Through(s => hooked = new HookedStore(s));
        hooked!.Before = (op, key) =>
        {
            if (op == "Read" && key.EndsWith(".blk", StringComparison.Ordinal)) cts.Cancel();
            return Task.CompletedTask;
        };
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.VerifyAsync(V, deep: true, via: via, ct: cts.Token));
        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.Empty(t.LockFiles(V));
    }

    [Fact]
    public async Task Longhorns_fixture_verifies_deep_as_healthy_and_a_missing_volume_is_an_error()
    {
        using var t = new TestStore(TestImages.FixtureRoot);
        foreach (var volume in await t.Store.ListVolumeNamesAsync(CancellationToken.None))
        {
            var v = await t.VerifyAsync(volume, deep: true);
            Assert.NotEmpty(v.Backups);
            Assert.All(v.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        }
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.VerifyAsync("vol-absent", deep: false));
        Assert.Equal(ErrorIds.BackupVolumeNotFound, e.ErrorId);
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SyncProgress(List<OperationProgress> reports) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) { lock (reports) reports.Add(value); }
    }
}
