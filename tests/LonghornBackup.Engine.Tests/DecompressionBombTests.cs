using System.IO.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A block file from a damaged or hostile store that decompresses to far more than one block is refused as soon as it
/// passes twice a block, instead of being expanded into memory first (64 MiB here; gigabytes in a real attack).
/// </summary>
public class DecompressionBombTests
{
    private const int B = TestImages.Block;

    private static byte[] GzipOfZeros(int length)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(new byte[length]);
        return buffer.ToArray();
    }

    private static async Task<(TestStore Store, string Backup, string Checksum)> StoreWithBomb()
    {
        var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("v.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(3)));
        var backup = (await t.BackupAsync("vol-bomb", image, compression: "gzip")).Backup;
        string checksum = backup.Blocks[0].BlockChecksum;
        File.WriteAllBytes(t.BlockFile("vol-bomb", checksum), GzipOfZeros(64 * TestImages.MiB));
        return (t, backup.Name, checksum);
    }

    [Fact]
    public async Task A_restore_stops_decompressing_at_twice_a_block()
    {
        var (t, backup, checksum) = await StoreWithBomb();
        using (t)
        {
            string output = t.WorkFile("out.img");
            var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.RestoreAsync("vol-bomb", backup, output));
            Assert.Equal(ErrorIds.BlockDecompressionFailed, e.ErrorId);
            Assert.Contains(checksum, e.Message);
            Assert.Contains($"more than {2 * B} bytes", e.Message);
            Assert.False(File.Exists(output));
        }
    }

    [Fact]
    public async Task A_deep_check_calls_the_block_corrupt()
    {
        var (t, _, checksum) = await StoreWithBomb();
        using (t)
        {
            var result = await t.VerifyAsync("vol-bomb", deep: true);
            var problem = Assert.Single(result.Problems);
            Assert.Equal(checksum, problem.Checksum);
            Assert.Equal(BlockProblemKind.Corrupt, problem.Kind);
            Assert.Contains($"more than {2 * B} bytes", problem.Detail);
        }
    }
}
