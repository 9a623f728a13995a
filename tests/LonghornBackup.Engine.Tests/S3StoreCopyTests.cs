using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Keys under &lt;prefix&gt;/backupstore/ are exactly the files under a folder target: a store written to S3 and copied
/// byte for byte to a folder lists and restores from the folder, and the reverse (issue 3, "Done when").
/// </summary>
[Collection("S3")]
public sealed class S3StoreCopyTests(S3Server server)
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task<(string Image1Sha, string Image2Sha, string Backup1, string Backup2, string Image)> TwoBackupsAsync(TargetHarness target)
    {
        string image = TestImages.Create(target.WorkFile("vol.img"), 12 * TestImages.MiB, (0, TestImages.RandomBytes(31)), (3 * B, TestImages.CompressibleBytes(32)));
        var first = await target.BackupAsync("pvc-copy", image, snapshot: "s1", labels: new Dictionary<string, string> { ["app"] = "copy" });
        string sha1 = TestImages.Sha256(image);
        TestImages.Write(image, 5 * B, TestImages.RandomBytes(33));
        var second = await target.BackupAsync("pvc-copy", image, snapshot: "s2");
        return (sha1, TestImages.Sha256(image), first.Backup.Name, second.Backup.Name, image);
    }

    private static async Task AssertListsAndRestoresAsync(TargetHarness copy, (string Image1Sha, string Image2Sha, string Backup1, string Backup2, string Image) written)
    {
        Assert.Equal(new[] { "pvc-copy" }, await copy.Store.ListVolumeNamesAsync(None));
        Assert.Equal(new[] { written.Backup1, written.Backup2 }.Order(StringComparer.Ordinal), await copy.Store.ListBackupNamesAsync("pvc-copy", None));
        var listed = await copy.Store.ListBackupsAsync("pvc-copy", null, None);
        Assert.Equal("copy", listed.Single(b => b.BackupName == written.Backup1).Config!.Labels!["app"]);
        Assert.All(listed, b => Assert.StartsWith(copy.Url.Canonical, b.Url));
        Assert.Equal(written.Image1Sha, TestImages.Sha256(await copy.RestoreToNewFileAsync("pvc-copy", written.Backup1)));
        Assert.Equal(written.Image2Sha, TestImages.Sha256(await copy.RestoreToNewFileAsync("pvc-copy", written.Backup2)));

        // The copy is a working target: a new backup of the same data reuses every block.
        var again = await copy.BackupAsync("pvc-copy", written.Image, snapshot: "s3");
        Assert.Equal(0, again.Counters.BlocksUploaded);
        Assert.True(again.Backup.IsIncremental);
    }

    [Fact]
    public async Task A_store_written_to_S3_and_copied_to_a_folder_lists_and_restores_from_the_folder()
    {
        using var s3 = new S3Harness(server);
        var written = await TwoBackupsAsync(s3);
        var objects = await s3.ObjectsAsync();
        Assert.All(objects.Keys, k => Assert.StartsWith("backupstore/volumes/", k));

        using var folder = new FileSystemHarness();
        await folder.PutObjectsAsync(objects);
        Assert.Equal(objects, FileSystemHarness.ReadTree(folder.Root));
        await AssertListsAndRestoresAsync(folder, written);
    }

    [Fact]
    public async Task A_store_written_to_a_folder_and_uploaded_to_S3_lists_and_restores_from_S3()
    {
        using var folder = new FileSystemHarness();
        var written = await TwoBackupsAsync(folder);
        var files = FileSystemHarness.ReadTree(folder.Root);

        using var s3 = new S3Harness(server);
        await s3.PutObjectsAsync(files);
        Assert.Equal(files, await s3.ObjectsAsync());
        await AssertListsAndRestoresAsync(s3, written);
    }
}
