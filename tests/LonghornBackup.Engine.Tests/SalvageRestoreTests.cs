using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Restore;

namespace LonghornBackup.Engine.Tests;

/// <summary>Salvage restores: everything but the damaged blocks comes back bit-exact, and the damage is listed.</summary>
public sealed class SalvageRestoreTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-salvage";

    [Fact]
    public async Task A_missing_and_a_corrupt_block_become_zeros_and_are_reported_the_rest_is_bit_exact()
    {
        using var t = new TestStore();
        var blocks = Enumerable.Range(0, 6).Select(i => TestImages.RandomBytes(700 + i)).ToArray();
        // Block 4 repeats block 1: a damaged block is zeroed at every offset it maps to.
        string image = TestImages.Create(t.WorkFile("image.img"), 8 * B, (0, blocks[0]), (B, blocks[1]), (2L * B, blocks[2]),
            (3L * B, blocks[3]), (4L * B, blocks[1]), (5L * B, blocks[5]));
        var backup = (await t.BackupAsync(V, image)).Backup;
        string lost = backup.Blocks.Single(b => b.Offset == 2L * B).BlockChecksum;
        string bad = backup.Blocks.Single(b => b.Offset == B).BlockChecksum;
        File.Delete(t.BlockFile(V, lost));
        t.CorruptBlock(V, bad);

        string output = t.WorkFile("salvaged.img");
        var result = await new RestoreEngine(t.Store).RunAsync(new RestoreRequest
        {
            VolumeName = V, BackupName = backup.Name, OutputPath = output, SkipCorruptBlocks = true,
        }, null, CancellationToken.None);

        Assert.Equal(2, result.DamagedBlocks.Count);
        var corrupt = result.DamagedBlocks[0];   // by first offset: B, then 2B
        var missing = result.DamagedBlocks[1];
        Assert.Equal((lost, DamageKind.Missing), (missing.Checksum, missing.Kind));
        Assert.Equal(new long[] { 2L * B }, missing.Offsets);
        Assert.Equal((bad, DamageKind.Corrupt), (corrupt.Checksum, corrupt.Kind));
        Assert.Equal(new long[] { B, 4L * B }, corrupt.Offsets);
        Assert.All(result.DamagedBlocks, d => Assert.Equal(B, d.Size));

        // The expected image: the original with zeros exactly where the damaged blocks were.
        var expected = File.ReadAllBytes(image);
        foreach (long offset in new[] { (long)B, 2L * B, 4L * B }) Array.Clear(expected, (int)offset, B);
        Assert.Equal(expected, File.ReadAllBytes(output));
    }

    [Fact]
    public async Task Without_the_switch_a_damaged_block_still_fails_the_restore_and_leaves_no_file()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("image.img"), 4 * B, (0, TestImages.RandomBytes(1)), (B, TestImages.RandomBytes(2)));
        var backup = (await t.BackupAsync(V, image)).Backup;
        File.Delete(t.BlockFile(V, backup.Blocks[1].BlockChecksum));
        string output = t.WorkFile("out.img");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => new RestoreEngine(t.Store).RunAsync(new RestoreRequest
        {
            VolumeName = V, BackupName = backup.Name, OutputPath = output,
        }, null, CancellationToken.None));
        Assert.Equal(ErrorIds.BlockMissing, e.ErrorId);
        Assert.False(File.Exists(output));
    }
}
