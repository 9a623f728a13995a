using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Volumes only grow: volume.cfg keeps one size and every restore of every backup is sized by it, so a smaller source
/// is refused, and a restore or check that meets blocks beyond the recorded size (a store an older version shrank, or
/// a damaged one) says so instead of dropping them.
/// </summary>
public class VolumeSizeTests
{
    private const int B = TestImages.Block;

    /// <summary>12 MiB with data in blocks 1 and 5 (the last block of the image).</summary>
    private static string Image12(TestStore t) => TestImages.Create(t.WorkFile("big.img"), 12 * TestImages.MiB,
        (1 * B, TestImages.RandomBytes(1)), (5 * B, TestImages.CompressibleBytes(5)));

    private static string Image6(TestStore t) => TestImages.Create(t.WorkFile("small.img"), 6 * TestImages.MiB,
        (0, TestImages.RandomBytes(9)));

    private static Task<RestoreResult> Restore(TestStore t, string volume, string backup, string output, bool include) =>
        new RestoreEngine(t.Store, TestStore.FastLocks).RunAsync(new RestoreRequest
        {
            VolumeName = volume, BackupName = backup, OutputPath = output, IncludeBlocksBeyondVolumeSize = include,
        }, null, CancellationToken.None);

    /// <summary>What an older version of this module did after a backup of a smaller image: volume.cfg shrunk.</summary>
    private static void ShrinkVolumeRecord(TestStore t, string volume, long size)
    {
        var cfg = t.ReadVolumeCfg(volume);
        cfg.Size = size;
        File.WriteAllBytes(t.VolumeCfgFile(volume), cfg.ToJson());
    }

    [Fact]
    public async Task A_smaller_snapshot_is_refused_before_anything_is_written_and_the_earlier_backup_restores_whole()
    {
        using var t = new TestStore();
        string big = Image12(t);
        var first = await t.BackupAsync("vol-v", big);
        string before = t.TreeState();

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-v", Image6(t), snapshot: "snap-2"));

        Assert.Equal(ErrorIds.SnapshotSmallerThanVolume, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("'vol-v'", e.Message);
        Assert.Contains("6291456 bytes", e.Message);    // the snapshot
        Assert.Contains("12582912 bytes", e.Message);   // the volume
        Assert.Contains("new volume name", e.RecommendedAction);
        Assert.Equal(before, t.TreeState());           // no lock file, no in-progress cfg, volume.cfg untouched
        Assert.Equal(12L * TestImages.MiB, t.ReadVolumeCfg("vol-v").Size);
        string restored = await t.RestoreToNewFileAsync("vol-v", first.Backup.Name);
        Assert.Equal(TestImages.Sha256(big), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task A_dry_run_of_a_smaller_snapshot_is_refused_too()
    {
        using var t = new TestStore();
        await t.BackupAsync("vol-v", Image12(t));
        string before = t.TreeState();
        using var source = Blocks.RawImageSource.Open(Image6(t));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => new Backup.BackupEngine(t.Store, null, TestStore.FastLocks)
            .RunAsync(new Backup.BackupRequest { VolumeName = "vol-v", SnapshotName = "s", Source = source, DryRun = true }, null, default));
        Assert.Equal(ErrorIds.SnapshotSmallerThanVolume, e.ErrorId);
        Assert.Equal(before, t.TreeState());
    }

    [Fact]
    public async Task A_larger_snapshot_grows_the_volume_and_earlier_backups_restore_padded_with_zeros()
    {
        using var t = new TestStore();
        string small = Image6(t);
        var first = await t.BackupAsync("vol-v", small);
        var second = await t.BackupAsync("vol-v", Image12(t), snapshot: "snap-2");

        Assert.Equal(12L * TestImages.MiB, t.ReadVolumeCfg("vol-v").Size);
        string restored = await t.RestoreToNewFileAsync("vol-v", first.Backup.Name);
        Assert.Equal(12L * TestImages.MiB, new FileInfo(restored).Length);
        Assert.Equal(TestImages.Sha256Padded(small, 12L * TestImages.MiB), TestImages.Sha256(restored));
        Assert.Equal(TestImages.Sha256(t.WorkFile("big.img")), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-v", second.Backup.Name)));
    }

    [Fact]
    public async Task A_restore_refuses_blocks_beyond_the_volume_size_and_writes_nothing()
    {
        using var t = new TestStore();
        var backup = (await t.BackupAsync("vol-v", Image12(t))).Backup.Name;
        ShrinkVolumeRecord(t, "vol-v", 6L * TestImages.MiB);
        string output = t.WorkFile("out.img");

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => Restore(t, "vol-v", backup, output, include: false));

        Assert.Equal(ErrorIds.BlocksBeyondVolumeSize, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains(backup, e.Message);
        Assert.Contains("1 block(s)", e.Message);
        Assert.Contains("offset 10485760", e.Message);
        Assert.Contains("-IncludeBlocksBeyondVolumeSize", e.RecommendedAction);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(t.Work, ".out.img*"));
    }

    [Fact]
    public async Task Told_to_include_them_a_restore_makes_the_image_as_large_as_the_backup_needs()
    {
        using var t = new TestStore();
        string big = Image12(t);
        var backup = (await t.BackupAsync("vol-v", big)).Backup.Name;
        ShrinkVolumeRecord(t, "vol-v", 6L * TestImages.MiB);
        string output = t.WorkFile("out.img");

        var result = await Restore(t, "vol-v", backup, output, include: true);

        Assert.Equal(12L * TestImages.MiB, result.Size);
        Assert.NotNull(result.BlocksBeyondVolume);
        Assert.Equal(TestImages.Sha256(big), TestImages.Sha256(output));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_check_calls_a_backup_with_blocks_beyond_the_volume_size_inconsistent(bool deep)
    {
        using var t = new TestStore();
        var fits = (await t.BackupAsync("vol-v", Image6(t))).Backup.Name;
        ShrinkVolumeRecord(t, "vol-v", 6L * TestImages.MiB);   // unchanged for the 6 MiB backup
        var beyond = (await t.BackupAsync("vol-v", Image12(t), snapshot: "snap-2")).Backup.Name;
        ShrinkVolumeRecord(t, "vol-v", 6L * TestImages.MiB);

        var result = await t.VerifyAsync("vol-v", deep);

        var bad = result.Backups.Single(b => b.BackupName == beyond);
        Assert.Equal(BackupHealth.Inconsistent, bad.Health);
        Assert.False(bad.IsHealthy);
        Assert.Contains("at or beyond the recorded size", bad.Error);
        Assert.Equal(BackupHealth.Healthy, result.Backups.Single(b => b.BackupName == fits).Health);
    }

    [Fact]
    public async Task A_missing_block_outranks_blocks_beyond_the_volume_size()
    {
        using var t = new TestStore();
        var backup = (await t.BackupAsync("vol-v", Image12(t))).Backup;
        ShrinkVolumeRecord(t, "vol-v", 6L * TestImages.MiB);
        File.Delete(t.BlockFile("vol-v", backup.Blocks[0].BlockChecksum));

        var result = await t.VerifyAsync("vol-v", deep: true);

        Assert.Equal(BackupHealth.Missing, result.Backups.Single().Health);
    }

    /// <summary>Each damage, and what the error must say.</summary>
    private static readonly Dictionary<string, (Action<TestStore, string, string> Damage, string Expected)> Damages = new()
    {
        ["a huge volume size"] = ((t, v, _) => ShrinkVolumeRecord(t, v, long.MaxValue - 5), "volume.cfg"),
        ["a zero volume size"] = ((t, v, _) => ShrinkVolumeRecord(t, v, 0), "volume.cfg"),
        ["a negative volume size"] = ((t, v, _) => ShrinkVolumeRecord(t, v, -B), "volume.cfg"),
        ["a misaligned offset"] = ((t, v, b) => EditBlocks(t, v, b, m => m[0] = m[0] with { Offset = m[0].Offset + 4096 }), "not a multiple"),
        ["a duplicated offset"] = ((t, v, b) => EditBlocks(t, v, b, m => m.Add(m[0])), "listed twice"),
        ["an offset beyond any volume"] = ((t, v, b) => EditBlocks(t, v, b, m => m.Add(new BlockMapping(long.MaxValue / B * B, m[0].BlockChecksum))), "beyond any possible volume"),
    };

    public static TheoryData<string> DamagedStores => new(Damages.Keys);

    private static void EditBlocks(TestStore t, string volume, string backup, Action<List<BlockMapping>> edit)
    {
        var cfg = t.ReadBackupCfg(volume, backup);
        edit(cfg.Blocks);
        File.WriteAllBytes(t.BackupCfgFile(volume, backup), cfg.ToJson());
    }

    [Theory]
    [MemberData(nameof(DamagedStores))]
    public async Task A_damaged_size_or_block_map_gives_a_clear_error_and_no_image(string what)
    {
        var (damage, expected) = Damages[what];
        using var t = new TestStore();
        var backup = (await t.BackupAsync("vol-v", Image12(t))).Backup.Name;
        damage(t, "vol-v", backup);
        string before = t.TreeState();
        string output = t.WorkFile("out.img");

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => Restore(t, "vol-v", backup, output, include: true));
        Assert.True(e.ErrorId == ErrorIds.CorruptConfig, $"{what}: {e.ErrorId} {e.Message}");
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(output));

        var check = await t.VerifyAsync("vol-v", deep: true);
        Assert.Equal(BackupHealth.Error, check.Backups.Single().Health);
        Assert.Contains(expected, check.Backups.Single().Error);
        Assert.Equal(before, t.TreeState());
    }

    [Fact]
    public async Task A_backup_onto_a_volume_record_with_an_impossible_size_is_refused()
    {
        using var t = new TestStore();
        await t.BackupAsync("vol-v", Image12(t));
        ShrinkVolumeRecord(t, "vol-v", long.MaxValue - 5);
        string before = t.TreeState();

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-v", Image12(t), snapshot: "snap-2"));

        Assert.Equal(ErrorIds.CorruptConfig, e.ErrorId);
        Assert.Contains("volume.cfg", e.Message);
        Assert.Equal(before, t.TreeState());
    }
}
