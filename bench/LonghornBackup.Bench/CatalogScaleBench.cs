using System.Diagnostics;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Bench;

/// <summary>
/// The catalog at scale (issue 17): a synthetic volume of thousands of backups whose cfgs share a pool of small
/// blocks, then a listing and a retention run against it, with the requests each makes, and the requests Longhorn's
/// own deletion algorithm (docs: backupstore format, deleting one backup) would make for the same retention.
/// </summary>
internal static class CatalogScaleBench
{
    /// <summary>Backup i references blocks i*Step .. i*Step+Window-1 (mod the pool): each block is shared by Window/Step neighbours.</summary>
    private const int Window = 100;

    private static int Step(int backups, int blocks) => Math.Max(1, blocks / backups);

    private static string ChecksumOfBlock(int index) => Checksum.Of(BitConverter.GetBytes(index));

    private static IEnumerable<int> BlocksOf(int backup, int backups, int blocks)
    {
        int step = Step(backups, blocks);
        for (int j = 0; j < Window; j++) yield return (backup * step + j) % blocks;
    }

    private static string BackupName(int i) => $"backup-{i:x16}";

    /// <summary>Writes the pool (tiny objects: nothing here reads block content), the cfgs, oldest first an hour apart, and volume.cfg.</summary>
    public static async Task<object> GenerateAsync(Backupstore store, string volume, int backups, int blocks)
    {
        var clock = Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = 32 };
        await Parallel.ForEachAsync(Enumerable.Range(0, blocks), options, async (b, ct) =>
            await store.Store.WriteAsync(StorePaths.Block(volume, ChecksumOfBlock(b)), BitConverter.GetBytes(b), ct));
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Parallel.ForEachAsync(Enumerable.Range(0, backups), options, async (i, ct) =>
        {
            string time = GoJson.FormatTime(start.AddHours(i));
            var cfg = new BackupConfig
            {
                Name = BackupName(i), VolumeName = volume, SnapshotName = $"snap-{i}", SnapshotCreatedAt = time, CreatedTime = time,
                Size = (long)Window * BlockSizes.Default, IsIncremental = true, CompressionMethod = "lz4",
                Blocks = BlocksOf(i, backups, blocks).Select((b, j) => new BlockMapping((long)j * BlockSizes.Default, ChecksumOfBlock(b))).ToList(),
            };
            await store.SaveBackupAsync(cfg, ct);
        });
        string last = GoJson.FormatTime(start.AddHours(backups - 1));
        await store.SaveVolumeAsync(new VolumeConfig
        {
            Name = volume, Size = (long)Window * BlockSizes.Default, CreatedTime = GoJson.FormatTime(start), LastBackupName = BackupName(backups - 1),
            LastBackupAt = last, BlockCount = blocks, CompressionMethod = "lz4",
        }, CancellationToken.None);
        return new { Step = "catalog-generate", Seconds = clock.Elapsed.TotalSeconds, Backups = backups, Blocks = blocks };
    }

    public static async Task<object> ListAsync(Backupstore store, CountingStore counter, string volume)
    {
        var clock = Stopwatch.StartNew();
        var listed = await store.ListBackupsAsync(volume, null, CancellationToken.None);
        return new { Step = "catalog-list", Seconds = clock.Elapsed.TotalSeconds, Backups = listed.Count, Requests = counter.Snapshot() };
    }

    /// <summary>Keeps the newest <paramref name="keepLast"/> as Remove-LhBackup -KeepLast does: one listing, one deletion, one GC pass.</summary>
    public static async Task<object> RetainAsync(Backupstore store, CountingStore counter, string volume, int keepLast, int backups, int blocks)
    {
        var clock = Stopwatch.StartNew();
        var listed = await store.ListBackupsAsync(volume, null, CancellationToken.None);
        var plan = RetentionPlanner.Plan(listed, keepLast, null);
        var result = await new BackupDeleter(store).DeleteAsync(volume, plan.Delete.Select(d => d.BackupName), null, null, CancellationToken.None);
        return new
        {
            Step = "catalog-retain", Seconds = clock.Elapsed.TotalSeconds, Deleted = result.Deleted.Count, result.BlocksDeleted, result.BlocksCollected,
            Requests = counter.Snapshot(), Longhorn = LonghornDeletionModel(backups, blocks, backups - keepLast),
        };
    }

    /// <summary>
    /// Requests Longhorn's DeleteDeltaBlockBackup makes to delete the oldest <paramref name="deletions"/> backups one by
    /// one (each deletion: lock, load and delete the cfg, volume.cfg, list the backups twice, list the pool directory
    /// by directory over its three levels, GET every remaining cfg, delete the freed blocks, save volume.cfg),
    /// counted by simulating the same store. S3 listings are pages of 1000 keys.
    /// </summary>
    private static object LonghornDeletionModel(int backups, int blocks, int deletions)
    {
        var refs = new int[blocks];
        for (int i = 0; i < backups; i++) foreach (var b in BlocksOf(i, backups, blocks)) refs[b]++;
        var dirs = new Dictionary<string, int>();   // "xx/yy" -> blocks in it
        foreach (var c in Enumerable.Range(0, blocks).Select(ChecksumOfBlock))
            dirs[c[..2] + "/" + c[2..4]] = dirs.GetValueOrDefault(c[..2] + "/" + c[2..4]) + 1;
        long gets = 0, lists = 0, puts = 0, deletes = 0;
        for (int k = 0; k < deletions; k++)
        {
            int remaining = backups - k - 1;
            puts += 1; lists += 1; deletes += 1;                     // lock file: write, list the locks, remove
            gets += 2; deletes += 1;                                 // the cfg and volume.cfg read, the cfg deleted
            lists += 2 * Math.Max(1, (remaining + 999) / 1000);      // backup names, before and after counting
            lists += 1 + dirs.Keys.Select(d => d[..2]).Distinct().Count() + dirs.Count;   // blocks/, blocks/xx/, blocks/xx/yy/
            gets += remaining;                                       // every remaining cfg
            foreach (var b in BlocksOf(k, backups, blocks))
            {
                if (--refs[b] != 0) continue;
                deletes++;
                string c = ChecksumOfBlock(b);
                string dir = c[..2] + "/" + c[2..4];
                if (--dirs[dir] == 0) dirs.Remove(dir);
            }
            puts += 1;                                               // volume.cfg with the new BlockCount
        }
        return new { Gets = gets, Lists = lists, Puts = puts, Deletes = deletes, Total = gets + lists + puts + deletes };
    }
}
