using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The repair path of issue 4 end to end (docs/backupstore-format.md §4.3, longhorn/longhorn#1385 and #7070): a block corrupted in the store
/// poisons every later incremental backup, a deep check finds it and names the broken backups, and a full backup of a
/// snapshot holding that data overwrites it, after which every backup restores again.
/// </summary>
public class RepairTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-fix";

    [Theory]
    [InlineData("lz4")]
    [InlineData("gzip")]
    public async Task A_full_backup_repairs_a_corrupt_block_that_incremental_backups_kept(string method)
    {
        using var t = new TestStore();
        var shared = TestImages.CompressibleBytes(71);
        string image = TestImages.Create(t.WorkFile("image.img"), 12 * TestImages.MiB,
            (0, TestImages.RandomBytes(70)), (1L * B, shared), (2L * B, TestImages.RandomBytes(72)));
        var first = await t.BackupAsync(V, image, snapshot: "s1", compression: method);
        string firstSha = TestImages.Sha256(image);
        string bad = Checksum.Of(shared);

        // Bit rot in the store.
        t.CorruptBlock(V, bad);
        byte[] rotten = File.ReadAllBytes(t.BlockFile(V, bad));

        // An incremental backup finds the block file present and keeps it, as Longhorn does (it does not re-check content).
        TestImages.Write(image, 2L * B, TestImages.RandomBytes(73));
        var second = await t.BackupAsync(V, image, snapshot: "s2");
        string secondSha = TestImages.Sha256(image);
        Assert.Equal(1, second.Counters.BlocksUploaded);
        Assert.Contains(second.Backup.Blocks, b => b.BlockChecksum == bad);
        Assert.Equal(rotten, File.ReadAllBytes(t.BlockFile(V, bad)));

        // The deep check finds it and names both backups it breaks; the quick check cannot see it.
        Assert.All((await t.VerifyAsync(V, deep: false)).Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        var found = await t.VerifyAsync(V, deep: true);
        var problem = Assert.Single(found.Problems);
        Assert.Equal(bad, problem.Checksum);
        Assert.Equal(BlockProblemKind.Corrupt, problem.Kind);
        Assert.Equal(new[] { first.Backup.Name, second.Backup.Name }.Order(StringComparer.Ordinal), problem.AffectedBackups.Order(StringComparer.Ordinal));
        Assert.All(found.Backups, b => Assert.Equal(BackupHealth.Corrupt, b.Health));
        var broken = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync(V, first.Backup.Name, t.WorkFile("broken.img")));
        Assert.Contains(bad, broken.Message);

        // A full backup of a snapshot that still holds the data overwrites the block.
        var full = await t.BackupAsync(V, image, snapshot: "s3", mode: BackupMode.Full);
        Assert.True(full.Backup.ReUploadedDataSize > 0);
        Assert.Equal(0, full.Backup.NewlyUploadedDataSize);
        Assert.NotEqual(rotten, File.ReadAllBytes(t.BlockFile(V, bad)));

        // Clean again, and every backup that referenced the block restores bit-exact.
        var clean = await t.VerifyAsync(V, deep: true);
        Assert.Empty(clean.Problems);
        Assert.All(clean.Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        Assert.Equal(firstSha, TestImages.Sha256(await t.RestoreToNewFileAsync(V, first.Backup.Name)));
        Assert.Equal(secondSha, TestImages.Sha256(await t.RestoreToNewFileAsync(V, second.Backup.Name)));
        Assert.Equal(secondSha, TestImages.Sha256(await t.RestoreToNewFileAsync(V, full.Backup.Name)));
    }

    [Fact]
    public async Task A_missing_block_is_put_back_by_a_full_backup_too()
    {
        using var t = new TestStore();
        var data = TestImages.RandomBytes(81);
        string image = TestImages.Create(t.WorkFile("image.img"), 4 * TestImages.MiB, (0, data), (1L * B, TestImages.RandomBytes(82)));
        var first = await t.BackupAsync(V, image);
        File.Delete(t.BlockFile(V, Checksum.Of(data)));
        Assert.Equal(BackupHealth.Missing, (await t.VerifyAsync(V, deep: false)).Backups.Single().Health);

        var full = await t.BackupAsync(V, image, snapshot: "s2", mode: BackupMode.Full);
        Assert.True(full.Backup.NewlyUploadedDataSize > 0);   // absent blocks count as new, present ones as re-uploaded
        Assert.True(full.Backup.ReUploadedDataSize > 0);
        Assert.All((await t.VerifyAsync(V, deep: true)).Backups, b => Assert.Equal(BackupHealth.Healthy, b.Health));
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync(V, first.Backup.Name)));
    }
}
