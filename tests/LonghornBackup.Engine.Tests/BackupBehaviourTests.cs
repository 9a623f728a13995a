using System.Text;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §4: what a backup uploads, records and reports, checked against the files on the target.</summary>
public class BackupBehaviourTests
{
    private const int B = TestImages.Block;
    private const string ZeroBlock = "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0";

    private static long SizeOf(IEnumerable<string> files) => files.Sum(f => new FileInfo(f).Length);

    /// <summary>16 MiB: blocks 0, 2, 5 hold distinct data, block 7 repeats block 0, blocks 3 and 6 are allocated zeros.</summary>
    private static string FirstImage(TestStore t, string name = "image.img") =>
        TestImages.Create(t.WorkFile(name), 16 * TestImages.MiB,
            (0 * B, TestImages.RandomBytes(100)),
            (2 * B, TestImages.CompressibleBytes(102)),
            (3 * B, new byte[B]),
            (5 * B + 4096, TestImages.RandomBytes(105, 100)),   // a few bytes in an otherwise empty block
            (6 * B, new byte[B]),
            (7 * B, TestImages.RandomBytes(100)));

    [Fact]
    public async Task First_backup_uploads_each_distinct_nonzero_block_once_and_maps_no_zero_block()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var r = await t.BackupAsync("vol-a", image);

        var files = t.BlockFiles("vol-a");
        Assert.Equal(3, files.Length);                        // blocks 0 (= 7), 2 and 5
        Assert.Equal(3, r.Counters.BlocksUploaded);
        Assert.Equal(new long[] { 0, 2 * B, 5 * B, 7 * B }, r.Backup.Blocks.Select(b => b.Offset));
        Assert.Equal(r.Backup.Blocks[0].BlockChecksum, r.Backup.Blocks[3].BlockChecksum);
        Assert.Equal(files.Select(Path.GetFileNameWithoutExtension).Order(),
            r.Backup.Blocks.Select(b => b.BlockChecksum).Distinct().Order());
        Assert.DoesNotContain(r.Backup.Blocks, b => b.BlockChecksum == ZeroBlock);
        Assert.False(File.Exists(t.BlockFile("vol-a", ZeroBlock)));

        Assert.Equal(4L * B, r.Backup.Size);                  // entries x block size
        Assert.Equal(SizeOf(files), r.Backup.NewlyUploadedDataSize);
        Assert.Equal(0, r.Backup.ReUploadedDataSize);
        Assert.False(r.Backup.IsIncremental);
        Assert.Equal("incremental", r.Backup.Mode);
        Assert.Equal("2097152", r.Backup.Parameters![BackupParameters.BlockSize]);

        // What is on disk is what the result says.
        var cfg = t.ReadBackupCfg("vol-a", r.Backup.Name);
        Assert.Equal(r.Backup.Blocks, cfg.Blocks);
        Assert.Equal(r.Backup.NewlyUploadedDataSize, cfg.NewlyUploadedDataSize);
        Assert.False(cfg.IsInProgress);

        string restored = await t.RestoreToNewFileAsync("vol-a", r.Backup.Name);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task Incremental_backup_uploads_exactly_the_changed_blocks()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var first = await t.BackupAsync("vol-a", image, snapshot: "s1");
        string firstSha = TestImages.Sha256(image);
        var before = t.BlockFiles("vol-a").ToHashSet();

        // k = 3 changed blocks: one rewritten, one new in a hole, one allocated-zero block given data.
        TestImages.Write(image, 2 * B, TestImages.RandomBytes(202));
        TestImages.Write(image, 4 * B, TestImages.CompressibleBytes(204));
        TestImages.Write(image, 6 * B + 100, TestImages.RandomBytes(206, 5000));
        var second = await t.BackupAsync("vol-a", image, snapshot: "s2");

        var added = t.BlockFiles("vol-a").Where(f => !before.Contains(f)).ToArray();
        Assert.Equal(3, added.Length);
        Assert.Equal(3, second.Counters.BlocksUploaded);
        Assert.Equal(SizeOf(added), second.Backup.NewlyUploadedDataSize);
        Assert.Equal(0, second.Backup.ReUploadedDataSize);
        Assert.True(second.Backup.IsIncremental);
        Assert.Equal(new long[] { 0, 2 * B, 4 * B, 5 * B, 6 * B, 7 * B }, second.Backup.Blocks.Select(b => b.Offset));
        Assert.Equal(6L * B, second.Backup.Size);
        Assert.All(before, f => Assert.True(File.Exists(f)));   // nothing removed

        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-a", second.Backup.Name)));
        Assert.Equal(firstSha, TestImages.Sha256(await t.RestoreToNewFileAsync("vol-a", first.Backup.Name)));
    }

    [Fact]
    public async Task Full_backup_of_unchanged_data_reuploads_and_uploads_nothing_new()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        await t.BackupAsync("vol-a", image, snapshot: "s1");
        var files = t.BlockFiles("vol-a");

        var full = await t.BackupAsync("vol-a", image, snapshot: "s2", mode: BackupMode.Full);

        Assert.Equal(0, full.Backup.NewlyUploadedDataSize);
        Assert.True(full.Backup.ReUploadedDataSize > 0);
        // Each distinct block is rewritten once: the re-uploaded bytes are the stored blocks.
        Assert.Equal(SizeOf(files), full.Backup.ReUploadedDataSize);
        Assert.Equal(files.Length, full.Counters.BlocksUploaded);
        Assert.Equal("full", full.Backup.Mode);
        Assert.Equal("full", t.ReadBackupCfg("vol-a", full.Backup.Name).Parameters![BackupParameters.Mode]);
        Assert.False(full.Backup.IsIncremental);
        Assert.Equal(files.Order(), t.BlockFiles("vol-a").Order());
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-a", full.Backup.Name)));
    }

    [Fact]
    public async Task Full_backup_repairs_a_corrupted_block()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var first = await t.BackupAsync("vol-a", image, snapshot: "s1");
        string file = t.BlockFile("vol-a", first.Backup.Blocks[1].BlockChecksum);
        File.WriteAllBytes(file, Encoding.ASCII.GetBytes("garbage"));

        await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreToNewFileAsync("vol-a", first.Backup.Name));
        // An incremental backup trusts existing blocks (as Longhorn does); a full one rewrites them.
        await t.BackupAsync("vol-a", image, snapshot: "s2", mode: BackupMode.Full);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-a", first.Backup.Name)));
    }

    [Theory]
    [InlineData("lz4")]
    [InlineData("gzip")]
    [InlineData("none")]
    public async Task Each_compression_method_round_trips_bit_exact(string method)
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var r = await t.BackupAsync("vol-c", image, compression: method);

        Assert.Equal(method, r.Backup.CompressionMethod);
        Assert.Equal(method, t.ReadVolumeCfg("vol-c").CompressionMethod);
        Assert.Contains($"\"CompressionMethod\":\"{method}\"", File.ReadAllText(t.BackupCfgFile("vol-c", r.Backup.Name)));
        foreach (var file in t.BlockFiles("vol-c"))
        {
            byte[] stored = File.ReadAllBytes(file);
            switch (method)
            {
                case "lz4": Assert.Equal(new byte[] { 0x04, 0x22, 0x4D, 0x18 }, stored[..4]); break;
                case "gzip": Assert.Equal(new byte[] { 0x1f, 0x8b }, stored[..2]); break;
                default:
                    Assert.Equal(B, stored.Length);
                    Assert.Equal(Path.GetFileNameWithoutExtension(file), Checksum.Of(stored));
                    break;
            }
        }
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-c", r.Backup.Name)));
    }

    [Fact]
    public async Task New_volume_defaults_to_lz4()
    {
        using var t = new TestStore();
        var r = await t.BackupAsync("vol-d", FirstImage(t));
        Assert.Equal(CompressionMethods.Lz4, r.Backup.CompressionMethod);
        Assert.Equal("lz4", t.ReadVolumeCfg("vol-d").CompressionMethod);
    }

    [Fact]
    public async Task Volume_cfg_tracks_last_backup_time_and_block_count()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var t1 = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var first = await t.BackupAsync("vol-v", image, snapshot: "s1", clock: new FixedClock(t1));

        var v1 = t.ReadVolumeCfg("vol-v");
        Assert.Equal("vol-v", v1.Name);
        Assert.Equal(first.Backup.Name, v1.LastBackupName);
        Assert.Equal("2026-01-02T03:04:05Z", v1.LastBackupAt);
        Assert.Equal("2026-01-02T03:04:05Z", v1.CreatedTime);
        Assert.Equal(first.Backup.SnapshotCreatedAt, v1.LastBackupAt);
        Assert.Equal(t.BlockFiles("vol-v").Length, v1.BlockCount);
        Assert.Equal(16L * TestImages.MiB, v1.Size);
        string raw = File.ReadAllText(t.VolumeCfgFile("vol-v"));
        Assert.Contains($"\"BlockCount\":\"{v1.BlockCount}\"", raw);
        Assert.Contains("\"Size\":\"16777216\"", raw);
        Assert.Equal("v1", v1.DataEngine);                    // docs/backupstore-format.md §13: "v1" after the first backup

        TestImages.Write(image, 4 * B, TestImages.RandomBytes(404));
        var t2 = t1.AddMinutes(30);
        var second = await t.BackupAsync("vol-v", image, snapshot: "s2", clock: new FixedClock(t2));
        var v2 = t.ReadVolumeCfg("vol-v");
        Assert.Equal(second.Backup.Name, v2.LastBackupName);
        Assert.Equal("2026-01-02T03:34:05Z", v2.LastBackupAt);
        Assert.Equal("2026-01-02T03:04:05Z", v2.CreatedTime);  // creation time is kept
        Assert.Equal(v1.BlockCount + 1, v2.BlockCount);
        Assert.Equal(t.BlockFiles("vol-v").Length, v2.BlockCount);
        Assert.Equal("2026-01-02T03:34:05Z", second.Backup.SnapshotCreatedAt);
        Assert.Equal("2026-01-02T03:34:05Z", second.Backup.CreatedTime);
    }

    [Fact]
    public async Task Compression_method_is_fixed_by_the_first_backup()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var first = await t.BackupAsync("vol-m", image, snapshot: "s1", compression: "gzip");
        Assert.Empty(first.Warnings);

        TestImages.Write(image, 4 * B, TestImages.CompressibleBytes(414));
        var second = await t.BackupAsync("vol-m", image, snapshot: "s2", compression: "lz4");

        Assert.Equal("gzip", second.Backup.CompressionMethod);
        Assert.Equal("gzip", t.ReadVolumeCfg("vol-m").CompressionMethod);
        var warning = Assert.Single(second.Warnings);
        Assert.Contains("gzip", warning);
        Assert.Contains("lz4", warning);
        byte[] newBlock = File.ReadAllBytes(t.BlockFile("vol-m", second.Backup.Blocks.Single(b => b.Offset == 4 * B).BlockChecksum));
        Assert.Equal(new byte[] { 0x1f, 0x8b }, newBlock[..2]);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-m", second.Backup.Name)));
    }

    [Fact]
    public async Task Block_size_16_MiB_works_and_is_fixed_for_the_volume()
    {
        const int L = BlockSizes.Large;
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("big.img"), 2L * L,
            (100, TestImages.RandomBytes(500, 3 * TestImages.MiB)),
            (L + 5 * TestImages.MiB, TestImages.CompressibleBytes(501)));
        var r = await t.BackupAsync("vol-16", image, blockSize: L, concurrency: 2);

        Assert.Equal("16777216", r.Backup.Parameters![BackupParameters.BlockSize]);
        Assert.Equal(L, r.Backup.BlockSize);
        Assert.Equal(new long[] { 0, L }, r.Backup.Blocks.Select(b => b.Offset));
        Assert.Equal(2L * L, r.Backup.Size);
        foreach (var file in t.BlockFiles("vol-16"))
        {
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            CompressionMethods.Get("lz4").Decompress(File.ReadAllBytes(file), output);
            Assert.Equal(L, output.WrittenCount);
            Assert.Equal(Path.GetFileNameWithoutExtension(file), Checksum.Of(output.WrittenSpan));
        }
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-16", r.Backup.Name)));

        // A 2 MiB request on this volume is refused before anything is written.
        var files = Directory.GetFiles(t.Root, "*", SearchOption.AllDirectories).Order().ToArray();
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-16", image, snapshot: "s2", blockSize: B));
        Assert.Equal(ErrorIds.BlockSizeMismatch, e.ErrorId);
        Assert.Equal(files, Directory.GetFiles(t.Root, "*", SearchOption.AllDirectories).Order().ToArray());

        // Without a block size, the volume's 16 MiB is used.
        TestImages.Write(image, L + 100, TestImages.RandomBytes(502, 1000));
        var again = await t.BackupAsync("vol-16", image, snapshot: "s3", concurrency: 2);
        Assert.Equal(L, again.Backup.BlockSize);
        Assert.Equal(1, again.Counters.BlocksUploaded);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol-16", again.Backup.Name)));
    }

    [Fact]
    public async Task Image_not_a_multiple_of_the_block_size_restores_padded_with_zeros()
    {
        using var t = new TestStore();
        long size = 5L * TestImages.MiB + 123;
        byte[] tail = TestImages.RandomBytes(600, TestImages.MiB + 123);   // data up to the very last byte
        string image = TestImages.Create(t.WorkFile("odd.img"), size, (0, TestImages.RandomBytes(601, 1000)), (4L * TestImages.MiB, tail));
        var r = await t.BackupAsync("vol-odd", image);

        Assert.Equal(6L * TestImages.MiB, r.Volume.Size);
        Assert.Equal(6L * TestImages.MiB, t.ReadVolumeCfg("vol-odd").Size);
        Assert.NotEmpty(r.Warnings);
        Assert.Equal(new long[] { 0, 2 * B }, r.Backup.Blocks.Select(b => b.Offset));

        string restored = await t.RestoreToNewFileAsync("vol-odd", r.Backup.Name);
        Assert.Equal(6L * TestImages.MiB, new FileInfo(restored).Length);
        Assert.Equal(TestImages.Sha256Padded(image, 6L * TestImages.MiB), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task Entirely_empty_image_gives_a_backup_with_no_blocks_that_restores_to_zeros()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("empty.img"), 8 * TestImages.MiB);
        var r = await t.BackupAsync("vol-empty", image);
        Assert.Empty(r.Backup.Blocks);
        Assert.Equal(0, r.Backup.Size);
        Assert.Empty(t.BlockFiles("vol-empty"));
        Assert.DoesNotContain("\"Blocks\"", File.ReadAllText(t.BackupCfgFile("vol-empty", r.Backup.Name)));
        string restored = await t.RestoreToNewFileAsync("vol-empty", r.Backup.Name);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task Backup_url_names_the_backup_and_volume()
    {
        using var t = new TestStore();
        var r = await t.BackupAsync("vol-u", FirstImage(t));
        Assert.Equal($"{t.Url.Canonical}?backup={r.Backup.Name}&volume=vol-u", r.Url);
        Assert.StartsWith("vfs:///", r.Url);
    }

    [Fact]
    public async Task Explicit_backup_name_is_used_and_cannot_be_reused()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var r = await t.BackupAsync("vol-n", image, backupName: "backup-00000000000000ab");
        Assert.Equal("backup-00000000000000ab", r.Backup.Name);
        Assert.True(File.Exists(t.BackupCfgFile("vol-n", "backup-00000000000000ab")));
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-n", image, snapshot: "s2", backupName: "backup-00000000000000ab"));
        Assert.Equal(ErrorIds.BackupNameInUse, e.ErrorId);
        Assert.Equal(r.Backup.Blocks, t.ReadBackupCfg("vol-n", "backup-00000000000000ab").Blocks);
    }

    /// <summary>Records reports on the reporting thread (Progress&lt;T&gt; would post them asynchronously).</summary>
    private sealed class Recorder : IProgress<OperationProgress>
    {
        public List<OperationProgress> Reports { get; } = new();
        public void Report(OperationProgress value) { lock (Reports) Reports.Add(value); }
    }

    private static void AssertProgressEndsAtOneHundredOnlyWhenDone(Recorder recorder)
    {
        Assert.NotEmpty(recorder.Reports);
        var percents = recorder.Reports.Select(r => r.Percent).ToArray();
        Assert.Equal(percents.Order(), percents);                       // monotonic
        Assert.All(percents, p => Assert.InRange(p, 0, 100));
        var last = recorder.Reports[^1];
        Assert.Equal(100, last.Percent);
        Assert.True(last.Completed);
        Assert.All(recorder.Reports.Take(recorder.Reports.Count - 1), r => Assert.False(r.Completed || r.Percent == 100));
    }

    [Fact]
    public async Task Progress_rises_monotonically_and_reaches_100_only_when_done()
    {
        using var t = new TestStore();
        string image = FirstImage(t);
        var backupProgress = new Recorder();
        using (var source = LonghornBackup.Engine.Blocks.RawImageSource.Open(image))
        {
            var r = await new BackupEngine(t.Store).RunAsync(new BackupRequest { VolumeName = "vol-p", SnapshotName = "s", Source = source }, backupProgress, CancellationToken.None);
            AssertProgressEndsAtOneHundredOnlyWhenDone(backupProgress);

            var restoreProgress = new Recorder();
            await new RestoreEngine(t.Store).RunAsync(new RestoreRequest { VolumeName = "vol-p", BackupName = r.Backup.Name, OutputPath = t.WorkFile("p.img") }, restoreProgress, CancellationToken.None);
            AssertProgressEndsAtOneHundredOnlyWhenDone(restoreProgress);
        }
    }

    [Fact]
    public async Task Backup_progress_counts_the_data_of_a_sparse_image_not_its_size()
    {
        using var t = new TestStore();
        string image = FirstImage(t);   // 16 MiB with data written at six of its eight blocks (two of them zeros)
        var progress = new Recorder();
        using var source = LonghornBackup.Engine.Blocks.RawImageSource.Open(image);
        await new BackupEngine(t.Store).RunAsync(new BackupRequest { VolumeName = "vol-p", SnapshotName = "s", Source = source }, progress, CancellationToken.None);
        Assert.All(progress.Reports, r => Assert.Equal(6 * B, r.BytesTotal));
        Assert.Equal(6 * B, progress.Reports[^1].BytesDone);
    }
}
