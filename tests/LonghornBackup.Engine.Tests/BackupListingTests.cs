using LonghornBackup.Engine.Catalog;

namespace LonghornBackup.Engine.Tests;

/// <summary>Listing a volume's backups: every backup, oldest first, with its block count but without its block map.</summary>
public sealed class BackupListingTests : IDisposable
{
    private const int B = TestImages.Block;
    private readonly FileSystemHarness _t = new();

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task A_listing_reads_every_cfg_and_keeps_block_counts_not_block_maps()
    {
        string image = TestImages.Create(_t.WorkFile("v.img"), 8 * TestImages.MiB, (0, TestImages.RandomBytes(1)));
        var names = new List<string>();
        for (int i = 1; i <= 12; i++)
        {
            TestImages.Write(image, (i % 4) * B, TestImages.RandomBytes(100 + i));
            names.Add((await _t.BackupAsync("vol-l", image, $"s{i}")).Backup.Name);
        }

        var listed = await _t.Store.ListBackupsAsync("vol-l", null, CancellationToken.None);

        Assert.Equal(names, listed.Select(l => l.BackupName));
        foreach (var l in listed)
        {
            var full = await _t.Store.GetBackupAsync("vol-l", l.BackupName, CancellationToken.None);
            Assert.Equal(full.Blocks.Count, l.Config!.BlockCount);
            Assert.Empty(l.Config.Blocks);
            Assert.Equal(full.Labels, l.Config.Labels);
            Assert.Equal(full.CreatedTime, l.Config.CreatedTime);
        }
        Assert.Contains(listed, l => l.Config!.BlockCount > 1);
    }
}
