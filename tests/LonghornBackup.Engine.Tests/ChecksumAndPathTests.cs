using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §0/§1: Longhorn's checksum (SHA-512 cut to 64 hex) and the on-target layout built from it.</summary>
public class ChecksumAndPathTests
{
    [Theory]
    [InlineData("pvc-1", "7eedf508c892db38891f451d3233c21df0a2e921344c75bdd7b7b71471d5903a")]
    [InlineData("vol", "47e3be2824f8e2a9895dab61f95b823dab9d8ac8ee06a93d2ebf81e913f7b9d5")]
    [InlineData("a", "1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f53")]
    public void Checksum_of_text_matches_spec_vectors(string input, string expected)
    {
        Assert.Equal(expected, Checksum.OfString(input));
        Assert.Equal(expected, Checksum.Of(System.Text.Encoding.UTF8.GetBytes(input)));
    }

    [Theory]
    [InlineData(2 * 1024 * 1024, "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0")]
    [InlineData(16 * 1024 * 1024, "7e208b53e5c541b23906ef8ed8f5e12e4f1b470fbd0d3e907b1fc0c0b8d78eb1")]
    public void Checksum_of_zero_blocks_matches_spec_vectors(int size, string expected)
    {
        Assert.Equal(expected, Checksum.Of(new byte[size]));
    }

    [Fact]
    public void Checksum_is_64_lower_case_hex_and_validated_as_such()
    {
        string c = Checksum.Of(TestImages.RandomBytes(1, 4096));
        Assert.Matches("^[0-9a-f]{64}$", c);
        Assert.True(Checksum.IsValid(c));
        Assert.False(Checksum.IsValid(c.ToUpperInvariant()));
        Assert.False(Checksum.IsValid(c[..63]));
        Assert.False(Checksum.IsValid(c + "0"));
        Assert.False(Checksum.IsValid(null));
    }

    [Theory]
    [InlineData("pvc-1", "backupstore/volumes/7e/ed/pvc-1")]
    [InlineData("vol", "backupstore/volumes/47/e3/vol")]
    public void Volume_paths_match_spec_vectors(string volume, string expectedDir)
    {
        Assert.Equal(expectedDir, StorePaths.VolumeDir(volume));
        Assert.Equal(expectedDir + "/volume.cfg", StorePaths.VolumeConfig(volume));
        Assert.Equal(expectedDir + "/backups/backup_backup-0123456789abcdef.cfg", StorePaths.BackupConfig(volume, "backup-0123456789abcdef"));
        Assert.Equal(expectedDir + "/locks", StorePaths.LocksDir(volume));
    }

    [Theory]
    // Prefixes seen in real stores (GitHub issues quoted in docs/backupstore-format.md §1).
    [InlineData("jellyfin-config", "backupstore/volumes/ca/ea/jellyfin-config")]
    [InlineData("BACKINGIMAGE", "backupstore/volumes/22/fc/BACKINGIMAGE")]
    // Folders Longhorn's own library created in the fixture.
    [InlineData("vol-lz4", "backupstore/volumes/19/25/vol-lz4")]
    [InlineData("vol-gzip", "backupstore/volumes/8b/14/vol-gzip")]
    [InlineData("vol-none", "backupstore/volumes/86/c0/vol-none")]
    public void Volume_paths_match_real_longhorn_stores(string volume, string expectedDir)
    {
        Assert.Equal(expectedDir, StorePaths.VolumeDir(volume));
    }

    [Fact]
    public void Fixture_volume_folders_are_where_the_engine_looks()
    {
        foreach (var volume in new[] { "vol-lz4", "vol-gzip", "vol-none" })
            Assert.True(File.Exists(Path.Combine(TestImages.FixtureRoot, StorePaths.VolumeConfig(volume))), volume);
    }

    [Fact]
    public void Block_path_fans_out_on_the_first_four_hex_digits()
    {
        const string zero = "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0";
        Assert.Equal($"backupstore/volumes/7e/ed/pvc-1/blocks/73/18/{zero}.blk", StorePaths.Block("pvc-1", zero));
        // The fixture stores the all-zero 2 MiB block (vol-lz4's block 7) at exactly that relative place.
        Assert.True(File.Exists(Path.Combine(TestImages.FixtureRoot, StorePaths.Block("vol-lz4", zero))));
    }

    [Theory]
    [InlineData("backup_backup-0123456789abcdef.cfg", "backup-0123456789abcdef")]
    [InlineData("backup_backup-0123456789abcdef.cfg.tmp.1700000000000000000", null)]
    [InlineData("backup-0123456789abcdef.cfg", null)]
    [InlineData("backup_.cfg", null)]
    [InlineData("backup_x.cfg", null)]
    [InlineData("backup_-bad.cfg", null)]
    public void Backup_listing_keeps_only_backup_cfgs_with_valid_names(string file, string? expected)
    {
        Assert.Equal(expected, StorePaths.BackupNameFromFile(file));
    }

    [Theory]
    [InlineData("731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0.blk", "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0")]
    [InlineData("731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0.blk.tmp.123", null)]
    [InlineData("notes.txt", null)]
    public void Block_listing_ignores_temp_files_and_strays(string file, string? expected)
    {
        Assert.Equal(expected, StorePaths.ChecksumFromBlockFile(file));
    }
}
