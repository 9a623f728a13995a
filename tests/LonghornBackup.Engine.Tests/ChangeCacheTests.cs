using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The local change cache lets an incremental backup skip SHA-512 for blocks whose XXH128 is unchanged since the
/// last backup — and must never let a changed block through, whatever state the cache is in.
/// </summary>
public class ChangeCacheTests
{
    private const int Block = TestImages.Block;

    private static string NewImage(TestStore t, string name, int blocks, int seed) =>
        TestImages.Create(t.WorkFile(name), 16L * Block,
            Enumerable.Range(0, blocks).Select(i => ((long)i * Block, TestImages.RandomBytes(seed + i))).ToArray());

    [Fact]
    public async Task Incremental_hashes_only_the_changed_blocks_and_maps_the_same_checksums()
    {
        using var t = new TestStore();
        string image = NewImage(t, "vol.img", 8, seed: 100);
        var first = await t.BackupAsync("vol", image, "s1");
        Assert.Equal(8, first.Counters.BlocksHashed);
        Assert.Equal(0, first.Counters.ChecksumsFromCache);

        TestImages.Write(image, 2L * Block, TestImages.RandomBytes(900));
        TestImages.Write(image, 5L * Block, TestImages.RandomBytes(901));
        var second = await t.BackupAsync("vol", image, "s2");
        Assert.Equal(2, second.Counters.BlocksHashed);
        Assert.Equal(6, second.Counters.ChecksumsFromCache);
        Assert.Equal(2, second.Counters.NewBlocks);

        // The same image backed up without the cache gives the very same block map.
        var uncached = await t.BackupAsync("vol", image, "s3", useChangeCache: false);
        Assert.Equal(8, uncached.Counters.BlocksHashed);
        Assert.Equal(second.Backup.Blocks, uncached.Backup.Blocks);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", second.Backup.Name)));
    }

    [Fact]
    public async Task A_cache_that_does_not_match_the_last_backup_is_ignored()
    {
        using var t = new TestStore();
        string image = NewImage(t, "vol.img", 6, seed: 200);
        await t.BackupAsync("vol", image, "s1");
        // Another backup without the cache moves the store's last backup away from what the cache describes.
        await t.BackupAsync("vol", image, "s2", useChangeCache: false);
        TestImages.Write(image, 1L * Block, TestImages.RandomBytes(777));
        var third = await t.BackupAsync("vol", image, "s3");
        Assert.Equal(6, third.Counters.BlocksHashed);
        Assert.Equal(0, third.Counters.ChecksumsFromCache);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", third.Backup.Name)));
    }

    [Fact]
    public async Task A_tampered_cache_cannot_hide_a_changed_block()
    {
        using var t = new TestStore();
        string image = NewImage(t, "vol.img", 4, seed: 300);
        var first = await t.BackupAsync("vol", image, "s1");
        string cacheFile = Assert.Single(Directory.GetFiles(t.ChangeCacheDirectory, "*.cache"));

        // Corrupt one stored checksum in the cache: it no longer matches the store's last backup, so it is not trusted.
        byte[] bytes = File.ReadAllBytes(cacheFile);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(cacheFile, bytes);
        TestImages.Write(image, 0, TestImages.RandomBytes(999));
        var second = await t.BackupAsync("vol", image, "s2");
        Assert.Equal(4, second.Counters.BlocksHashed);
        Assert.Equal(TestImages.Sha256(image), TestImages.Sha256(await t.RestoreToNewFileAsync("vol", second.Backup.Name)));
        Assert.NotEqual(first.Backup.Blocks[0].BlockChecksum, second.Backup.Blocks[0].BlockChecksum);
    }

    [Fact]
    public async Task Full_backups_hash_every_block_even_with_a_trusted_cache()
    {
        using var t = new TestStore();
        string image = NewImage(t, "vol.img", 5, seed: 400);
        await t.BackupAsync("vol", image, "s1");
        var full = await t.BackupAsync("vol", image, "s2", BackupMode.Full);
        Assert.Equal(5, full.Counters.BlocksHashed);
        Assert.Equal(0, full.Counters.ChecksumsFromCache);
        Assert.Equal(5, full.Counters.ReUploadedBlocks);
    }

    [Fact]
    public async Task A_cached_block_missing_from_the_store_is_uploaded_again()
    {
        using var t = new TestStore();
        string image = NewImage(t, "vol.img", 3, seed: 500);
        var first = await t.BackupAsync("vol", image, "s1");
        File.Delete(t.BlockFile("vol", first.Backup.Blocks[1].BlockChecksum));
        var second = await t.BackupAsync("vol", image, "s2");
        Assert.Equal(3, second.Counters.ChecksumsFromCache);
        Assert.Equal(1, second.Counters.NewBlocks);
        Assert.True(File.Exists(t.BlockFile("vol", first.Backup.Blocks[1].BlockChecksum)));
    }
}
