using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Deletion with garbage collection, retention and deep verification with the full-backup repair, run unchanged on
/// every driver (one subclass each): what the store holds afterwards is read back without the driver under test.
/// </summary>
public abstract class LifecycleOnTargetTests : IDisposable
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract TargetHarness T { get; }

    public void Dispose() => T.Dispose();

    /// <summary>Three backups of one volume: A and B share block 0; block 1 changes each time; block 3 only in C.</summary>
    private async Task<(BackupConfig A, BackupConfig B, BackupConfig C, string[] Sha)> ThreeBackupsAsync(string volume)
    {
        string image = TestImages.Create(T.WorkFile("img"), 8L * B, (0, TestImages.RandomBytes(1)), (B, TestImages.RandomBytes(2)));
        var sha = new List<string>();
        var a = await T.BackupAsync(volume, image, "s1"); sha.Add(TestImages.Sha256(image));
        TestImages.Write(image, B, TestImages.RandomBytes(3));
        var b = await T.BackupAsync(volume, image, "s2"); sha.Add(TestImages.Sha256(image));
        TestImages.Write(image, B, TestImages.RandomBytes(4));
        TestImages.Write(image, 3L * B, TestImages.RandomBytes(5));
        var c = await T.BackupAsync(volume, image, "s3"); sha.Add(TestImages.Sha256(image));
        return (a.Backup, b.Backup, c.Backup, sha.ToArray());
    }

    private static HashSet<string> Checksums(params BackupConfig[] backups) =>
        backups.SelectMany(b => b.Blocks.Select(m => m.BlockChecksum)).ToHashSet();

    private async Task<HashSet<string>> StoredChecksumsAsync(string volume) =>
        (await T.BlockKeysAsync(volume)).Select(k => Path.GetFileNameWithoutExtension(k)).ToHashSet();

    [Fact]
    public async Task Deleting_frees_exactly_the_unreferenced_blocks_and_the_rest_restore()
    {
        var (a, b, c, sha) = await ThreeBackupsAsync("vol-del");
        var r = await new BackupDeleter(T.Store).DeleteAsync("vol-del", new[] { b.Name }, null, null, None);
        Assert.True(r.BlocksCollected);
        Assert.Equal(Checksums(a, c), await StoredChecksumsAsync("vol-del"));
        Assert.Equal(sha[0], TestImages.Sha256(await T.RestoreToNewFileAsync("vol-del", a.Name)));
        Assert.Equal(sha[2], TestImages.Sha256(await T.RestoreToNewFileAsync("vol-del", c.Name)));

        // Deleting the newest makes the next newest the volume's latest.
        await new BackupDeleter(T.Store).DeleteAsync("vol-del", new[] { c.Name }, null, null, None);
        Assert.Equal(a.Name, (await T.Store.GetVolumeAsync("vol-del", None)).LastBackupName);
        Assert.Equal(Checksums(a), await StoredChecksumsAsync("vol-del"));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_and_frees_the_rest_in_one_pass()
    {
        var (a, b, c, sha) = await ThreeBackupsAsync("vol-ret");
        var plan = RetentionPlanner.Plan(await T.Store.ListBackupsAsync("vol-ret", null, None), 1, null);
        Assert.Equal(new[] { c.Name }, plan.Keep.Select(k => k.BackupName));
        await new BackupDeleter(T.Store).DeleteAsync("vol-ret", plan.Delete.Select(d => d.BackupName), null, null, None);
        Assert.Equal(new[] { c.Name }, await T.Store.ListBackupNamesAsync("vol-ret", None));
        Assert.Equal(Checksums(c), await StoredChecksumsAsync("vol-ret"));
        Assert.Equal(sha[2], TestImages.Sha256(await T.RestoreToNewFileAsync("vol-ret", c.Name)));
    }

    [Fact]
    public async Task Deep_verification_finds_a_corrupt_block_and_a_full_backup_repairs_it()
    {
        string image = TestImages.Create(T.WorkFile("img"), 4L * B, (0, TestImages.RandomBytes(11)), (B, TestImages.RandomBytes(12)));
        var first = await T.BackupAsync("vol-fix", image, "s1");
        string shared = first.Backup.Blocks[0].BlockChecksum;
        await T.PutObjectsAsync(new Dictionary<string, byte[]> { [StorePaths.Block("vol-fix", shared)] = new byte[] { 4, 34, 77, 24, 0 } });

        // An incremental backup keeps the bad block, as Longhorn does; deep verification names it and both backups.
        var second = await T.BackupAsync("vol-fix", image, "s2");
        Assert.Equal(0, second.Counters.BlocksUploaded);
        var verify = new BackupVerifier(T.Store);
        var broken = await verify.VerifyAsync(new VerificationRequest { VolumeName = "vol-fix", Deep = true }, null, None);
        var problem = Assert.Single(broken.Problems);
        Assert.Equal(shared, problem.Checksum);
        Assert.Equal(new[] { first.Backup.Name, second.Backup.Name }.Order(), problem.AffectedBackups.Order());

        // A full backup of a snapshot holding that data overwrites it; then everything is sound and restores.
        var full = await T.BackupAsync("vol-fix", image, "s3", BackupMode.Full);
        Assert.True(full.Backup.ReUploadedDataSize > 0);
        var clean = await verify.VerifyAsync(new VerificationRequest { VolumeName = "vol-fix", Deep = true }, null, None);
        Assert.Empty(clean.Problems);
        foreach (var name in new[] { first.Backup.Name, second.Backup.Name, full.Backup.Name })
            Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await T.RestoreToNewFileAsync("vol-fix", name)));
    }
}

public sealed class LifecycleOnFileSystemTests : LifecycleOnTargetTests
{
    protected override TargetHarness T { get; } = new FileSystemHarness();
}

[Collection("S3")]
public sealed class LifecycleOnS3Tests : LifecycleOnTargetTests
{
    public LifecycleOnS3Tests(S3Server server) => T = new S3Harness(server);

    protected override TargetHarness T { get; }
}
