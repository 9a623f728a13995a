using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>Partial deep checks: seven nightly runs of -Subset k/7 read every block exactly once between them.</summary>
public sealed class PartialVerifyTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-part";

    private static string[] Checksums(int count) =>
        Enumerable.Range(0, count).Select(i => Checksum.Of(BitConverter.GetBytes(i))).ToArray();

    [Fact]
    public void The_parts_of_a_subset_split_the_blocks_exactly_and_evenly()
    {
        var checksums = Checksums(7000);
        var parts = Enumerable.Range(1, 7).Select(k => BlockShare.ParseSubset($"{k}/7")).ToArray();
        foreach (var c in checksums) Assert.Single(parts, p => p.Includes(c));
        foreach (var p in parts) Assert.InRange(checksums.Count(p.Includes), 850, 1150);
    }

    [Fact]
    public void A_sample_takes_about_its_percentage_and_the_same_blocks_each_time()
    {
        var checksums = Checksums(10000);
        var first = checksums.Where(BlockShare.ParseSample("10%").Includes).ToList();
        Assert.InRange(first.Count, 850, 1150);
        Assert.Equal(first, checksums.Where(BlockShare.ParseSample("10").Includes));
        Assert.Equal(checksums.Length, checksums.Count(BlockShare.ParseSample("100%").Includes));
    }

    [Theory]
    [InlineData("0/7")]
    [InlineData("8/7")]
    [InlineData("3/0")]
    [InlineData("abc")]
    [InlineData("1/2/3")]
    [InlineData("-1/7")]
    public void A_bad_subset_is_refused(string text) =>
        Assert.Equal(ErrorIds.InvalidBlockShare, Assert.Throws<LonghornBackupException>(() => BlockShare.ParseSubset(text)).ErrorId);

    [Theory]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("-5")]
    [InlineData("ten")]
    public void A_bad_sample_is_refused(string text) =>
        Assert.Equal(ErrorIds.InvalidBlockShare, Assert.Throws<LonghornBackupException>(() => BlockShare.ParseSample(text)).ErrorId);

    [Fact]
    public async Task Seven_subsets_read_every_block_once_and_exactly_one_finds_a_corrupt_block()
    {
        using var t = new TestStore();
        var writes = Enumerable.Range(0, 12).Select(i => ((long)i * B, TestImages.RandomBytes(300 + i))).ToArray();
        string image = TestImages.Create(t.WorkFile("image.img"), 24 * TestImages.MiB, writes);
        var backup = (await t.BackupAsync(V, image)).Backup;
        string corrupt = backup.Blocks[5].BlockChecksum;
        t.CorruptBlock(V, corrupt);

        var runs = new List<VolumeVerification>();
        for (int k = 1; k <= 7; k++)
            runs.Add(await new BackupVerifier(t.Store, TestStore.FastLocks).VerifyAsync(new VerificationRequest
            {
                VolumeName = V, Deep = true, Share = BlockShare.ParseSubset($"{k}/7"),
            }, null, CancellationToken.None));

        Assert.Equal(12, runs.Sum(r => r.Backups.Single().BlocksRead));
        // Every stored byte read once, plus the corrupt block's re-reads (it is read again before it is called corrupt).
        long corruptSize = new FileInfo(t.BlockFile(V, corrupt)).Length;
        Assert.Equal(t.BlockFiles(V).Sum(f => new FileInfo(f).Length) + 2 * corruptSize, runs.Sum(r => r.BytesRead));
        var finding = Assert.Single(runs, r => r.Problems.Count > 0);
        Assert.Equal(corrupt, Assert.Single(finding.Problems).Checksum);
        Assert.Equal(BackupHealth.Corrupt, finding.Backups.Single().Health);
        Assert.All(runs, r => Assert.Equal($"{runs.IndexOf(r) + 1}/7", r.Share));
    }

    [Fact]
    public async Task A_missing_block_is_found_whatever_the_share()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * TestImages.MiB, (0, TestImages.RandomBytes(1)), (B, TestImages.RandomBytes(2)));
        var backup = (await t.BackupAsync(V, image)).Backup;
        File.Delete(t.BlockFile(V, backup.Blocks[1].BlockChecksum));
        for (int k = 1; k <= 3; k++)
        {
            var r = await new BackupVerifier(t.Store, TestStore.FastLocks).VerifyAsync(new VerificationRequest
            {
                VolumeName = V, Deep = true, Share = BlockShare.ParseSubset($"{k}/3"),
            }, null, CancellationToken.None);
            Assert.Equal(BackupHealth.Missing, r.Backups.Single().Health);
        }
    }
}
