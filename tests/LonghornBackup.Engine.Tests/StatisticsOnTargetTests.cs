using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Statistics;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Measure-LhBackup's figures on every driver, checked against the objects the store holds (read without the code
/// under test) and against what a deletion really frees.
/// </summary>
public abstract class StatisticsOnTargetTests : IDisposable
{
    private const int B = TestImages.Block;
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract TargetHarness T { get; }

    public void Dispose() => T.Dispose();

    private async Task<Dictionary<string, long>> BlockSizesAsync(string volume)
    {
        var objects = await T.ObjectsAsync();
        return (await T.BlockKeysAsync(volume)).ToDictionary(k => Path.GetFileNameWithoutExtension(k), k => (long)objects[k].Length);
    }

    [Fact]
    public async Task Figures_match_the_stored_objects_and_a_backups_exclusive_bytes_are_what_removing_it_frees()
    {
        // b1: blocks A, B (compressible), C, and A again; b2: C replaced by E, F added.
        string image = TestImages.Create(T.WorkFile("v.img"), 16 * TestImages.MiB,
            (0 * B, TestImages.RandomBytes(1)), (1 * B, TestImages.CompressibleBytes(2)),
            (2 * B, TestImages.RandomBytes(3)), (3 * B, TestImages.RandomBytes(1)));
        var b1 = (await T.BackupAsync("vol-st", image, "s1")).Backup;
        TestImages.Write(image, 2 * B, TestImages.RandomBytes(5));
        TestImages.Write(image, 6 * B, TestImages.RandomBytes(6));
        var b2 = (await T.BackupAsync("vol-st", image, "s2")).Backup;

        var sizes = await BlockSizesAsync("vol-st");
        var checksumsOf = (BackupConfig b) => b.Blocks.Select(m => m.BlockChecksum).Distinct().ToList();
        var v = await T.Store.MeasureVolumeAsync("vol-st", null, None);

        Assert.Equal(new[] { b1.Name, b2.Name }, v.Backups.Select(b => b.BackupName));
        var s1 = v.Backups[0];
        var s2 = v.Backups[1];
        Assert.Equal((4L, 3L, 4L * B), (s1.Blocks, s1.DistinctBlocks, s1.DataSize));
        Assert.Equal((5L, 4L, 5L * B), (s2.Blocks, s2.DistinctBlocks, s2.DataSize));
        Assert.Equal(checksumsOf(b1).Sum(c => sizes[c]), s1.StoredSize);
        Assert.Equal(checksumsOf(b2).Sum(c => sizes[c]), s2.StoredSize);
        // Only b1 has C; only b2 has E and F.
        var onlyB1 = checksumsOf(b1).Except(checksumsOf(b2)).ToList();
        var onlyB2 = checksumsOf(b2).Except(checksumsOf(b1)).ToList();
        Assert.Equal((1L, onlyB1.Sum(c => sizes[c])), (s1.ExclusiveBlocks, s1.ExclusiveStoredSize));
        Assert.Equal((2L, onlyB2.Sum(c => sizes[c])), (s2.ExclusiveBlocks, s2.ExclusiveStoredSize));

        Assert.Equal(16L * TestImages.MiB, v.Size);
        Assert.Equal(9L * B, v.LogicalDataSize);
        Assert.Equal((5L, 5L * B), (v.ReferencedBlocks, v.ReferencedDataSize));
        Assert.Equal(sizes.Values.Sum(), v.StoredSize);
        Assert.Equal((5L, sizes.Values.Sum()), (v.PoolBlocks, v.PoolStoredSize));
        Assert.Equal((0L, 0L, 0L), (v.UnreferencedBlocks, v.UnreferencedStoredSize, v.MissingBlocks));
        Assert.Equal(9.0 / 5, v.DeduplicationRatio, 6);
        Assert.True(v.CompressionRatio > 1, "the compressible block stores smaller than its 2 MiB");

        // What removing b1 frees is exactly its exclusive figure.
        long before = (await BlockSizesAsync("vol-st")).Values.Sum();
        await new BackupDeleter(T.Store).DeleteAsync("vol-st", new[] { b1.Name }, null, null, None);
        Assert.Equal(s1.ExclusiveStoredSize, before - (await BlockSizesAsync("vol-st")).Values.Sum());
    }

    [Fact]
    public async Task Unreferenced_and_missing_blocks_are_counted_and_an_unreadable_cfg_is_reported()
    {
        string image = TestImages.Create(T.WorkFile("v.img"), 8 * TestImages.MiB,
            (0 * B, TestImages.RandomBytes(11)), (1 * B, TestImages.RandomBytes(12)));
        var b1 = (await T.BackupAsync("vol-gc", image, "s1")).Backup;
        TestImages.Write(image, 2 * B, TestImages.RandomBytes(13));
        var b2 = (await T.BackupAsync("vol-gc", image, "s2")).Backup;

        // A block no backup references (as an interrupted deletion leaves), and one of b2's own blocks lost.
        var stray = TestImages.RandomBytes(14, 1000);
        string strayChecksum = Checksum.Of(stray);
        await T.PutObjectsAsync(new Dictionary<string, byte[]> { [StorePaths.Block("vol-gc", strayChecksum)] = stray });
        string lost = b2.Blocks.Select(m => m.BlockChecksum).Except(b1.Blocks.Select(m => m.BlockChecksum)).Single();
        await T.Store.Store.DeleteAsync(StorePaths.Block("vol-gc", lost), None);

        var v = await T.Store.MeasureVolumeAsync("vol-gc", null, None);
        Assert.Equal((1L, 1000L), (v.UnreferencedBlocks, v.UnreferencedStoredSize));
        Assert.Equal(1L, v.MissingBlocks);
        Assert.Equal(new long[] { 0, 1 }, v.Backups.Select(b => b.MissingBlocks));
        Assert.Equal(0L, v.Backups[1].ExclusiveStoredSize);   // its only own block is gone: removing it frees nothing

        // A damaged cfg: listed with its error, counted, its blocks no longer referenced by anything readable.
        await T.PutObjectsAsync(new Dictionary<string, byte[]> { [StorePaths.BackupConfig("vol-gc", b1.Name)] = "{not json"u8.ToArray() });
        v = await T.Store.MeasureVolumeAsync("vol-gc", null, None);
        Assert.Equal(1, v.UnreadableBackups);
        var damaged = v.Backups.Single(b => b.BackupName == b1.Name);
        Assert.NotNull(damaged.Error);
        Assert.Null(damaged.CreatedAt);
        Assert.Equal(b2.Name, v.Backups[0].BackupName);   // readable backups first, the unreadable last
    }
}

public sealed class StatisticsOnFileSystemTests : StatisticsOnTargetTests
{
    protected override TargetHarness T { get; } = new FileSystemHarness();
}

[Collection("S3")]
public sealed class StatisticsOnS3Tests : StatisticsOnTargetTests
{
    public StatisticsOnS3Tests(S3Server server) => T = new S3Harness(server);

    protected override TargetHarness T { get; }
}

[Collection("AzureBlob")]
public sealed class StatisticsOnAzureBlobTests : StatisticsOnTargetTests
{
    public StatisticsOnAzureBlobTests(AzuriteServer server) => T = new AzureBlobHarness(server);

    protected override TargetHarness T { get; }
}
