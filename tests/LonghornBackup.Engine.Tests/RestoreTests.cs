using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §6: restore verifies every block, fails loudly and cleanly, and writes a correctly sized sparse image.</summary>
public class RestoreTests
{
    private const int B = TestImages.Block;

    /// <summary>12 MiB: data in blocks 1 and 4 (block 4 compressible), the rest holes.</summary>
    private static async Task<(string Image, string Backup)> BackupSample(TestStore t, string volume, string? compression = null)
    {
        string image = TestImages.Create(t.WorkFile($"{volume}.img"), 12 * TestImages.MiB,
            (1 * B, TestImages.RandomBytes(1)), (4 * B, TestImages.CompressibleBytes(4)));
        var r = await t.BackupAsync(volume, image, compression: compression);
        return (image, r.Backup.Name);
    }

    private static void AssertNothingLeftIn(string folder, params string[] allowed)
    {
        var left = Directory.GetFiles(folder).Select(Path.GetFileName).Except(allowed).ToArray();
        Assert.True(left.Length == 0, "left behind: " + string.Join(", ", left));
    }

    [Theory]
    [InlineData("lz4")]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task Corrupted_block_fails_restore_naming_the_block(string method)
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r", method);
        var cfg = t.ReadBackupCfg("vol-r", backup);
        // Corrupt the compressible block: its stored stream has real compressed structure for lz4 and gzip.
        string checksum = cfg.Blocks.Single(b => b.Offset == 4 * B).BlockChecksum;
        string file = t.BlockFile("vol-r", checksum);
        byte[] stored = File.ReadAllBytes(file);
        for (int i = stored.Length / 2; i < stored.Length / 2 + 16; i++) stored[i] ^= 0x5A;
        File.WriteAllBytes(file, stored);

        string output = t.WorkFile("out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.ChecksumMismatch, ErrorIds.BlockDecompressionFailed });
        Assert.Contains(checksum, e.Message);
        Assert.False(File.Exists(output));
        AssertNothingLeftIn(t.Work, "vol-r.img");
    }

    [Theory]
    [InlineData("lz4")]
    [InlineData("gzip")]
    public async Task A_block_damaged_on_its_way_is_read_again_and_the_restore_completes(string method)
    {
        // Block bodies are not checked in transit (S3's MD5 is skipped for them): their own checksum catches the damage.
        using var t = new TestStore();
        var (image, backup) = await BackupSample(t, "vol-r", method);
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        var damagedOnce = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        hooked.AfterRead = (key, data) =>
        {
            if (data is null || !key.EndsWith(".blk", StringComparison.Ordinal) || !damagedOnce.TryAdd(key, 0)) return data;
            var damaged = (byte[])data.Clone();
            damaged[damaged.Length / 2] ^= 0x01;
            return damaged;
        };

        string output = t.WorkFile("out.img");
        await t.RestoreAsync("vol-r", backup, output, via: new Catalog.Backupstore(hooked, t.Url));

        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(output));
        Assert.Equal(2, damagedOnce.Count);                                   // both data blocks arrived damaged once
        foreach (var key in damagedOnce.Keys) Assert.Equal(2, hooked.Where("Read", key).Count());
    }

    [Fact]
    public async Task A_block_damaged_on_every_read_fails_after_three_reads()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        string checksum = t.ReadBackupCfg("vol-r", backup).Blocks.Single(b => b.Offset == 4 * B).BlockChecksum;
        var hooked = new HookedStore(new Store.FileSystemStore(t.Root));
        hooked.AfterRead = (key, data) =>
        {
            if (data is null || !key.EndsWith(checksum + ".blk", StringComparison.Ordinal)) return data;
            var damaged = (byte[])data.Clone();
            damaged[damaged.Length / 2] ^= 0x01;
            return damaged;
        };

        string output = t.WorkFile("out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output, via: new Catalog.Backupstore(hooked, t.Url)));
        Assert.Contains(e.ErrorId, new[] { ErrorIds.ChecksumMismatch, ErrorIds.BlockDecompressionFailed });
        Assert.Contains(checksum, e.Message);
        Assert.Equal(3, hooked.Where("Read", checksum + ".blk").Count());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Block_replaced_by_other_valid_content_fails_with_ChecksumMismatch()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        var cfg = t.ReadBackupCfg("vol-r", backup);
        string victim = cfg.Blocks[0].BlockChecksum, other = cfg.Blocks[1].BlockChecksum;
        File.Copy(t.BlockFile("vol-r", other), t.BlockFile("vol-r", victim), overwrite: true);

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, t.WorkFile("out.img")));
        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains(victim, e.Message);
        Assert.False(File.Exists(t.WorkFile("out.img")));
    }

    [Fact]
    public async Task Deleted_block_fails_with_BlockMissing_naming_it()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        string checksum = t.ReadBackupCfg("vol-r", backup).Blocks[1].BlockChecksum;
        File.Delete(t.BlockFile("vol-r", checksum));

        string output = t.WorkFile("out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output));
        Assert.Equal(ErrorIds.BlockMissing, e.ErrorId);
        Assert.Contains(checksum, e.Message);
        Assert.False(File.Exists(output));
        AssertNothingLeftIn(t.Work, "vol-r.img");
    }

    [Fact]
    public async Task Failed_restore_with_overwrite_keeps_the_existing_file()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        File.Delete(t.BlockFile("vol-r", t.ReadBackupCfg("vol-r", backup).Blocks[0].BlockChecksum));
        string output = t.WorkFile("keep.img");
        File.WriteAllText(output, "precious");

        await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output, overwrite: true));
        Assert.Equal("precious", File.ReadAllText(output));
        AssertNothingLeftIn(t.Work, "vol-r.img", "keep.img");
    }

    [Fact]
    public async Task Existing_output_is_refused_without_overwrite_and_replaced_with_it()
    {
        using var t = new TestStore();
        var (image, backup) = await BackupSample(t, "vol-r");
        string output = t.WorkFile("exists.img");
        File.WriteAllBytes(output, Enumerable.Repeat((byte)0xFF, 3 * B).ToArray());

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output));
        Assert.Equal(ErrorIds.RestoreTargetExists, e.ErrorId);
        Assert.Equal(3 * B, new FileInfo(output).Length);
        Assert.All(File.ReadAllBytes(output), b => Assert.Equal(0xFF, b));

        await t.RestoreAsync("vol-r", backup, output, overwrite: true);
        // Replaced, not written over: the old 0xFF bytes in unlisted block 0 are gone.
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(output));
    }

    [Fact]
    public async Task Output_that_is_a_folder_is_refused()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, t.Work, overwrite: true));
        Assert.Equal(ErrorIds.RestoreTargetExists, e.ErrorId);
    }

    [Fact]
    public async Task Restored_image_has_the_volume_size_and_zeros_where_the_backup_has_no_blocks()
    {
        using var t = new TestStore();
        var (image, backup) = await BackupSample(t, "vol-r");
        string output = t.WorkFile("out.img");
        var result = await t.RestoreAsync("vol-r", backup, output);

        Assert.Equal(12L * TestImages.MiB, new FileInfo(output).Length);
        Assert.Equal(12L * TestImages.MiB, result.Size);
        Assert.Equal(2, result.BlocksRestored);
        byte[] restored = File.ReadAllBytes(output), original = File.ReadAllBytes(image);
        Assert.Equal(original, restored);
        foreach (int block in new[] { 0, 2, 3, 5 })
            Assert.False(restored.AsSpan(block * B, B).ContainsAnyExcept((byte)0), $"block {block} should be zeros");
        Assert.Equal(TestImages.RandomBytes(1), restored.AsSpan(1 * B, B).ToArray());
    }

    [Fact]
    public async Task Restore_is_sized_by_the_latest_volume_size()
    {
        // docs/backupstore-format.md §6.1 quirk: an older backup restores at the size of the latest one (the volume was expanded).
        using var t = new TestStore();
        string small = TestImages.Create(t.WorkFile("small.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(40)));
        var first = await t.BackupAsync("vol-grow", small, snapshot: "s1");
        string large = TestImages.Create(t.WorkFile("large.img"), 8 * TestImages.MiB, (0, TestImages.RandomBytes(40)), (6 * TestImages.MiB, TestImages.RandomBytes(41, 10)));
        await t.BackupAsync("vol-grow", large, snapshot: "s2");

        string output = await t.RestoreToNewFileAsync("vol-grow", first.Backup.Name);
        Assert.Equal(8L * TestImages.MiB, new FileInfo(output).Length);
        Assert.Equal(TestImages.Sha256Padded(small, 8L * TestImages.MiB), TestImages.Sha256(output));
    }

    [Fact]
    public async Task Restoring_shared_content_at_several_offsets_writes_each_offset()
    {
        using var t = new TestStore();
        byte[] same = TestImages.RandomBytes(50);
        string image = TestImages.Create(t.WorkFile("dup.img"), 8 * TestImages.MiB, (0, same), (2 * B, same), (3 * B, same));
        var r = await t.BackupAsync("vol-dup", image);
        Assert.Single(t.BlockFiles("vol-dup"));
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-dup", r.Backup.Name)));
    }

    [Fact]
    public async Task Unknown_backup_and_volume_fail_with_not_found_ids()
    {
        using var t = new TestStore();
        var (_, _) = await BackupSample(t, "vol-r");
        var e1 = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", "backup-ffffffffffffffff", t.WorkFile("a.img")));
        Assert.Equal(ErrorIds.BackupNotFound, e1.ErrorId);
        var e2 = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-none-here", "backup-ffffffffffffffff", t.WorkFile("a.img")));
        Assert.Equal(ErrorIds.BackupVolumeNotFound, e2.ErrorId);
        Assert.False(File.Exists(t.WorkFile("a.img")));
    }

    [Fact]
    public async Task Output_in_a_missing_folder_fails_with_RestoreWriteFailed()
    {
        using var t = new TestStore();
        var (_, backup) = await BackupSample(t, "vol-r");
        string output = Path.Combine(t.Work, "no-such-folder", "out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-r", backup, output));
        Assert.Equal(ErrorIds.RestoreWriteFailed, e.ErrorId);
        Assert.False(Directory.Exists(Path.GetDirectoryName(output)));
    }
}
