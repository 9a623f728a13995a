using System.Collections.Concurrent;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A power loss must never leave a backup cfg that names a block which is not on disk (docs/backupstore-format.md
/// §4.1): the folder store's durability steps, recorded as it takes them, in the order a backup takes them.
/// </summary>
public class DurabilityOrderTests
{
    private const int B = TestImages.Block;

    private sealed record Step(int Index, string Kind, string Path);

    /// <summary>Backs up <paramref name="image"/> through a folder store with <paramref name="strategy"/>, recording every step.</summary>
    private static async Task<(List<Step> Steps, BackupResult Result)> BackupRecordingAsync(TestStore t, string image,
        BlockSyncStrategy strategy, BackupMode mode = BackupMode.Incremental)
    {
        var steps = new ConcurrentQueue<(string, string)>();
        var store = new FileSystemStore(t.Root, strategy) { Trace = (kind, path) => steps.Enqueue((kind, path)) };
        var result = await t.BackupAsync("vol", image, mode: mode, via: new Backupstore(store, t.Url));
        return (steps.Select((s, i) => new Step(i, s.Item1, s.Item2)).ToList(), result);
    }

    private static string Image(TestStore t, int seed) =>
        TestImages.Create(t.WorkFile($"image-{seed}.img"), 8 * B,
            (0, TestImages.RandomBytes(seed)),
            (2 * B, TestImages.CompressibleBytes(seed + 1)),
            (5 * B, TestImages.RandomBytes(seed + 2, 1000)));

    private static bool IsFinalBackupCfg(Step s, BackupResult r) =>
        s.Kind == "rename" && s.Path.EndsWith($"backup_{r.Backup.Name}.cfg", StringComparison.Ordinal);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_block_is_durable_before_the_cfg_that_names_it_is_renamed_into_place(bool syncEachBlock)
    {
        var strategy = syncEachBlock ? BlockSyncStrategy.PerFile : BlockSyncStrategy.SyncFileSystem;
        using var t = new TestStore();
        var (steps, result) = await BackupRecordingAsync(t, Image(t, 10), strategy);

        var blockRenames = steps.Where(s => s.Kind == "rename" && s.Path.EndsWith(".blk", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, blockRenames.Count);
        var cfg = steps.Last(s => IsFinalBackupCfg(s, result));   // the in-progress marker has the same name
        foreach (var block in blockRenames)
        {
            Assert.True(block.Index < cfg.Index, $"block {block.Path} renamed after the cfg");
            if (strategy == BlockSyncStrategy.SyncFileSystem)
            {
                // One syncfs between the block's rename and the cfg's.
                Assert.Contains(steps, s => s.Kind == "sync-fs" && s.Index > block.Index && s.Index < cfg.Index);
            }
            else
            {
                // Its data synced before its rename, and its folder synced after the rename, all before the cfg.
                Assert.Contains(steps, s => s.Kind == "sync-data" && s.Path.StartsWith(block.Path, StringComparison.Ordinal) && s.Index < block.Index);
                string folder = Path.GetDirectoryName(block.Path)!;
                Assert.Contains(steps, s => s.Kind == "sync-dir" && s.Path == folder && s.Index > block.Index && s.Index < cfg.Index);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_cfg_is_synced_before_its_rename_and_its_folder_after(bool syncEachBlock)
    {
        var strategy = syncEachBlock ? BlockSyncStrategy.PerFile : BlockSyncStrategy.SyncFileSystem;
        using var t = new TestStore();
        var (steps, result) = await BackupRecordingAsync(t, Image(t, 20), strategy);

        var cfgRenames = steps.Where(s => s.Kind == "rename" && s.Path.EndsWith(".cfg", StringComparison.Ordinal)).ToList();
        // volume.cfg twice (new volume, then the last backup), the in-progress cfg and the final cfg.
        Assert.Equal(4, cfgRenames.Count);
        for (int i = 0; i < cfgRenames.Count; i++)
        {
            var rename = cfgRenames[i];
            int next = i + 1 < cfgRenames.Count ? cfgRenames[i + 1].Index : int.MaxValue;
            // Its own temporary file synced before the rename, its folder synced before the next cfg is written.
            Assert.Contains(steps, s => s.Kind == "sync-data" && s.Index < rename.Index && s.Path.StartsWith(rename.Path + ".tmp.", StringComparison.Ordinal));
            Assert.Contains(steps, s => s.Kind == "sync-dir" && s.Path == Path.GetDirectoryName(rename.Path) && s.Index > rename.Index && s.Index < next);
        }
        // volume.cfg naming the backup comes after the backup's own cfg.
        var cfg = cfgRenames.Last(s => IsFinalBackupCfg(s, result));
        Assert.EndsWith("volume.cfg", cfgRenames.Last().Path);
        Assert.True(cfgRenames.Last().Index > cfg.Index);
    }

    [Fact]
    public async Task New_folders_of_the_block_pool_are_durable_before_the_cfg()
    {
        using var t = new TestStore();
        var (steps, result) = await BackupRecordingAsync(t, Image(t, 30), BlockSyncStrategy.PerFile);

        var cfg = steps.Last(s => IsFinalBackupCfg(s, result));   // the in-progress marker has the same name
        // The blocks/xx folders were created by this backup: their entries (in blocks/) are synced too.
        foreach (var block in steps.Where(s => s.Kind == "rename" && s.Path.EndsWith(".blk", StringComparison.Ordinal)))
        {
            string yy = Path.GetDirectoryName(block.Path)!, xx = Path.GetDirectoryName(yy)!;
            Assert.Contains(steps, s => s.Kind == "sync-dir" && s.Path == xx && s.Index < cfg.Index);
            Assert.Contains(steps, s => s.Kind == "sync-dir" && s.Path == Path.GetDirectoryName(xx) && s.Index < cfg.Index);
        }
    }

    [Fact]
    public async Task A_block_that_replaces_a_stored_one_is_synced_before_its_rename()
    {
        using var t = new TestStore();
        string image = Image(t, 40);
        await t.BackupAsync("vol", image);

        // A full backup re-uploads every block over the stored file that earlier backups use: never a moment where a
        // power loss could leave that file empty or partly written.
        var (steps, _) = await BackupRecordingAsync(t, image, BlockSyncStrategy.SyncFileSystem, BackupMode.Full);
        var blockRenames = steps.Where(s => s.Kind == "rename" && s.Path.EndsWith(".blk", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, blockRenames.Count);
        foreach (var block in blockRenames)
            Assert.Contains(steps, s => s.Kind == "sync-data" && s.Path.StartsWith(block.Path + ".tmp.", StringComparison.Ordinal) && s.Index < block.Index);
    }
}
