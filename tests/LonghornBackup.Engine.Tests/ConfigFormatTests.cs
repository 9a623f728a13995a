using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §0.1, §2.1, §2.2: volume.cfg and backup cfg JSON exactly as Go's encoder writes and reads it.</summary>
public class ConfigFormatTests
{
    // docs/backupstore-format.md §2.1: exact output of Go's encoder.
    private const string GoVolumeCfg =
        "{\"Name\":\"pvc-1\",\"Size\":\"2147483648\",\"Labels\":null,\"CreatedTime\":\"2026-01-02T03:04:05Z\",\"LastBackupName\":\"backup-0123456789abcdef\",\"LastBackupAt\":\"\",\"BlockCount\":\"3\",\"BackingImageName\":\"\\\"\\\"\",\"BackingImageChecksum\":\"\\\"\\\"\",\"CompressionMethod\":\"\\\"lz4\\\"\",\"StorageClassName\":\"\\\"\\\"\",\"DataEngine\":\"\\\"v1\\\"\"}";

    // docs/backupstore-format.md §2.2: exactly what Go writes as the in-progress marker.
    private const string GoInProgressCfg =
        "{\"Name\":\"backup-x\",\"VolumeName\":\"pvc-1\",\"SnapshotName\":\"\",\"SnapshotCreatedAt\":\"\",\"CreatedTime\":\"\",\"Size\":\"0\",\"Labels\":null,\"Parameters\":null,\"IsIncremental\":false,\"CompressionMethod\":\"lz4\",\"NewlyUploadedDataSize\":\"0\",\"ReUploadedDataSize\":\"0\",\"ProcessingBlocks\":null,\"SingleFile\":{\"FilePath\":\"\"}}";

    private const string Zero = "731859029215873fdac1c9f2f8bd25a334abf0f3a9e1b057cf2cacc2826d86b0";
    private const string Other = "993550b746fb1ba2794ae8931c402fc3a8580e2e397937bc222bcd192e258fda";

    // docs/backupstore-format.md §2.2's finished example, with real checksums in place of the elided ones.
    private const string GoFinishedCfg =
        "{\"Name\":\"backup-1e0f6f32f3a24aac\",\"VolumeName\":\"pvc-1\",\"SnapshotName\":\"1853016f-de97-4bc3-b506-22f4a509820b\",\"SnapshotCreatedAt\":\"2026-01-02T03:04:05Z\",\"CreatedTime\":\"2026-01-02T03:05:40Z\",\"Size\":\"4194304\",\"Labels\":{\"KubernetesStatus\":\"{...}\",\"longhorn.io/volume-access-mode\":\"rwo\"},\"Parameters\":{\"backup-block-size\":\"2097152\",\"backup-mode\":\"incremental\"},\"IsIncremental\":true,\"CompressionMethod\":\"lz4\",\"NewlyUploadedDataSize\":\"8265\",\"ReUploadedDataSize\":\"0\",\"ProcessingBlocks\":null,\"Blocks\":[{\"Offset\":0,\"BlockChecksum\":\"" + Zero + "\"},{\"Offset\":4194304,\"BlockChecksum\":\"" + Other + "\"}],\"SingleFile\":{\"FilePath\":\"\"}}";

    private static VolumeConfig Parse(string json) => VolumeConfig.Parse(Encoding.UTF8.GetBytes(json), "volume.cfg");
    private static BackupConfig ParseBackup(string json) => BackupConfig.Parse(Encoding.UTF8.GetBytes(json), "backup.cfg");

    [Fact]
    public void Volume_cfg_is_byte_identical_to_gos_encoder_output()
    {
        var volume = new VolumeConfig
        {
            Name = "pvc-1",
            Size = 2147483648,
            Labels = null,
            CreatedTime = "2026-01-02T03:04:05Z",
            LastBackupName = "backup-0123456789abcdef",
            LastBackupAt = "",
            BlockCount = 3,
            CompressionMethod = "lz4",
            DataEngine = "v1",
        };
        Assert.Equal(GoVolumeCfg, Encoding.UTF8.GetString(volume.ToJson()));
    }

    [Fact]
    public void Volume_cfg_written_by_go_parses_to_its_values()
    {
        var v = Parse(GoVolumeCfg);
        Assert.Equal("pvc-1", v.Name);
        Assert.Equal(2147483648L, v.Size);
        Assert.Null(v.Labels);
        Assert.Equal("2026-01-02T03:04:05Z", v.CreatedTime);
        Assert.Equal("backup-0123456789abcdef", v.LastBackupName);
        Assert.Equal("", v.LastBackupAt);
        Assert.Equal(3, v.BlockCount);
        Assert.Equal("", v.BackingImageName);
        Assert.Equal("", v.BackingImageChecksum);
        Assert.Equal("lz4", v.CompressionMethod);
        Assert.Equal("", v.StorageClassName);
        Assert.Equal("v1", v.DataEngine);
    }

    [Fact]
    public void Volume_cfg_round_trips_through_write_and_parse()
    {
        var original = new VolumeConfig
        {
            Name = "my-vol", Size = 16 * TestImages.MiB, Labels = new() { ["app"] = "db", ["tier"] = "gold" },
            CreatedTime = "2026-03-04T05:06:07Z", LastBackupName = "backup-aaaaaaaaaaaaaaaa", LastBackupAt = "2026-03-04T05:06:08Z",
            BlockCount = 42, BackingImageName = "bi", BackingImageChecksum = "abc", CompressionMethod = "gzip",
            StorageClassName = "longhorn", DataEngine = "v2",
        };
        var copy = Parse(Encoding.UTF8.GetString(original.ToJson()));
        Assert.Equal(original.Name, copy.Name);
        Assert.Equal(original.Size, copy.Size);
        Assert.Equal(original.Labels, copy.Labels);
        Assert.Equal(original.CreatedTime, copy.CreatedTime);
        Assert.Equal(original.LastBackupName, copy.LastBackupName);
        Assert.Equal(original.LastBackupAt, copy.LastBackupAt);
        Assert.Equal(original.BlockCount, copy.BlockCount);
        Assert.Equal(original.BackingImageName, copy.BackingImageName);
        Assert.Equal(original.BackingImageChecksum, copy.BackingImageChecksum);
        Assert.Equal(original.CompressionMethod, copy.CompressionMethod);
        Assert.Equal(original.StorageClassName, copy.StorageClassName);
        Assert.Equal(original.DataEngine, copy.DataEngine);
    }

    [Fact]
    public void Volume_cfg_reader_accepts_plain_strings_and_bare_numbers()
    {
        // What a lenient (non-Go) writer might produce; docs/backupstore-format.md §0.1 SHOULD for readers.
        var v = Parse("{\"Name\":\"pvc-1\",\"Size\":2147483648,\"Labels\":{\"a\":\"b\"},\"BlockCount\":3,\"BackingImageName\":\"\",\"CompressionMethod\":\"lz4\",\"DataEngine\":\"v2\",\"StorageClassName\":\"sc\"}");
        Assert.Equal(2147483648L, v.Size);
        Assert.Equal(3, v.BlockCount);
        Assert.Equal("lz4", v.CompressionMethod);
        Assert.Equal("v2", v.DataEngine);
        Assert.Equal("sc", v.StorageClassName);
        Assert.Equal("", v.BackingImageName);
        Assert.Equal("b", v.Labels!["a"]);
    }

    [Fact]
    public void Volume_cfg_reader_accepts_null_missing_and_case_insensitive_fields()
    {
        var v = Parse("{\"name\":\"pvc-1\",\"size\":\"4194304\",\"CompressionMethod\":null,\"SomethingNew\":{\"x\":1}}");
        Assert.Equal("pvc-1", v.Name);
        Assert.Equal(4194304, v.Size);
        Assert.Equal("", v.CompressionMethod);
        Assert.Equal(0, v.BlockCount);
    }

    [Fact]
    public void Legacy_volume_cfg_without_compression_or_engine_means_gzip_and_v1()
    {
        var v = Parse("{\"Name\":\"old\",\"Size\":\"1073741824\",\"Labels\":null,\"CreatedTime\":\"2022-01-01T00:00:00Z\",\"LastBackupName\":\"backup-1\",\"LastBackupAt\":\"2022-01-01T00:00:00Z\",\"BlockCount\":\"7\",\"BackingImageName\":\"\\\"\\\"\",\"BackingImageChecksum\":\"\\\"\\\"\"}");
        Assert.Equal("gzip", v.EffectiveCompressionMethod);
        Assert.Equal("v1", v.EffectiveDataEngine);
        // Also when the field is present but empty (double-encoded "").
        Assert.Equal("gzip", Parse("{\"Name\":\"old\",\"CompressionMethod\":\"\\\"\\\"\"}").EffectiveCompressionMethod);
    }

    [Fact]
    public void In_progress_cfg_written_by_go_parses_as_in_progress()
    {
        var b = ParseBackup(GoInProgressCfg);
        Assert.Equal("backup-x", b.Name);
        Assert.Equal("pvc-1", b.VolumeName);
        Assert.True(b.IsInProgress);
        Assert.Equal("", b.CreatedTime);
        Assert.Equal("lz4", b.CompressionMethod);
        Assert.Equal(0, b.Size);
        Assert.Null(b.Labels);
        Assert.Null(b.Parameters);
        Assert.False(b.IsIncremental);
        Assert.Empty(b.Blocks);
    }

    [Fact]
    public void In_progress_cfg_is_written_exactly_as_go_writes_it()
    {
        var b = new BackupConfig { Name = "backup-x", VolumeName = "pvc-1", CompressionMethod = "lz4" };
        string json = Encoding.UTF8.GetString(b.ToJson());
        Assert.Equal(GoInProgressCfg, json);
        Assert.Contains("\"ProcessingBlocks\":null", json);
        Assert.DoesNotContain("\"Blocks\"", json);
        // And a parse of Go's text writes back the same bytes.
        Assert.Equal(GoInProgressCfg, Encoding.UTF8.GetString(ParseBackup(GoInProgressCfg).ToJson()));
    }

    [Fact]
    public void Finished_backup_cfg_round_trips_byte_for_byte()
    {
        var b = ParseBackup(GoFinishedCfg);
        Assert.False(b.IsInProgress);
        Assert.Equal("1853016f-de97-4bc3-b506-22f4a509820b", b.SnapshotName);
        Assert.Equal(4194304, b.Size);
        Assert.Equal(8265, b.NewlyUploadedDataSize);
        Assert.Equal(0, b.ReUploadedDataSize);
        Assert.True(b.IsIncremental);
        Assert.Equal("incremental", b.Mode);
        Assert.Equal(2097152, b.BlockSize);
        Assert.Equal("rwo", b.Labels!["longhorn.io/volume-access-mode"]);
        Assert.Equal(new[] { new BlockMapping(0, Zero), new BlockMapping(4194304, Other) }, b.Blocks);
        Assert.Equal(GoFinishedCfg, Encoding.UTF8.GetString(b.ToJson()));
    }

    [Fact]
    public void Backup_cfg_writes_quoted_sizes_bare_offsets_and_a_plain_compression_method()
    {
        var b = new BackupConfig
        {
            Name = "backup-0123456789abcdef", VolumeName = "v1", CreatedTime = "2026-01-01T00:00:00Z", Size = 2097152,
            CompressionMethod = "gzip", NewlyUploadedDataSize = 12345, ReUploadedDataSize = 6,
            Blocks = { new BlockMapping(2097152, Other) },
        };
        string json = Encoding.UTF8.GetString(b.ToJson());
        Assert.Contains("\"Size\":\"2097152\"", json);
        Assert.Contains("\"NewlyUploadedDataSize\":\"12345\"", json);
        Assert.Contains("\"ReUploadedDataSize\":\"6\"", json);
        Assert.Contains("\"CompressionMethod\":\"gzip\"", json);
        Assert.Contains("{\"Offset\":2097152,\"BlockChecksum\":\"" + Other + "\"}", json);
        Assert.Contains("\"ProcessingBlocks\":null", json);
        Assert.EndsWith("\"SingleFile\":{\"FilePath\":\"\"}}", json);
    }

    [Fact]
    public void Backup_cfg_reader_ignores_processing_blocks_and_sorts_blocks_by_offset()
    {
        var b = ParseBackup("{\"Name\":\"b\",\"CreatedTime\":\"2026-01-01T00:00:00Z\",\"Size\":4194304,\"ProcessingBlocks\":{},\"Unknown\":[1,2],\"Blocks\":[{\"Offset\":\"2097152\",\"BlockChecksum\":\"" + Other + "\"},{\"Offset\":0,\"BlockChecksum\":\"" + Zero + "\"}]}");
        Assert.Equal(4194304, b.Size);
        Assert.Equal(new long[] { 0, 2097152 }, b.Blocks.Select(x => x.Offset));
    }

    [Fact]
    public void Legacy_backup_cfg_without_compression_or_parameters_means_gzip_and_2_MiB()
    {
        // Pre-1.5 fields only (docs/backupstore-format.md §2.2).
        var b = ParseBackup("{\"Name\":\"backup-1\",\"VolumeName\":\"old\",\"SnapshotName\":\"s\",\"SnapshotCreatedAt\":\"2022-01-01T00:00:00Z\",\"CreatedTime\":\"2022-01-01T00:00:01Z\",\"Size\":\"2097152\",\"Labels\":null,\"IsIncremental\":false,\"Blocks\":[{\"Offset\":0,\"BlockChecksum\":\"" + Other + "\"}],\"SingleFile\":{\"FilePath\":\"\"}}");
        Assert.Equal("gzip", b.EffectiveCompressionMethod);
        Assert.Equal(2097152, b.BlockSize);
        Assert.Equal("", b.Mode);
        Assert.False(b.IsInProgress);
    }

    [Theory]
    [InlineData("2097152", 2097152L)]
    [InlineData("16777216", 16777216L)]
    [InlineData("2Mi", 2097152L)]
    [InlineData("16Mi", 16777216L)]
    [InlineData("", 2097152L)]
    [InlineData("0", 2097152L)]
    public void Block_size_parameter_accepts_bytes_and_quantities(string raw, long expected)
    {
        var b = ParseBackup("{\"Name\":\"b\",\"Parameters\":{\"backup-block-size\":\"" + raw + "\"}}");
        Assert.Equal(expected, b.BlockSize);
    }

    [Fact]
    public void Unreadable_block_size_parameter_is_reported_as_unknown()
    {
        Assert.Null(ParseBackup("{\"Name\":\"b\",\"Parameters\":{\"backup-block-size\":\"lots\"}}").BlockSize);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("{\"Name\":\"v\",\"Size\":\"big\"}")]
    [InlineData("{\"Name\":\"v\",\"Labels\":[1]}")]
    [InlineData("{\"Name\":7}")]
    public void Corrupt_volume_cfg_fails_with_CorruptConfig(string json)
    {
        var e = Assert.Throws<LonghornBackupException>(() => Parse(json));
        Assert.Equal(ErrorIds.CorruptConfig, e.ErrorId);
        Assert.Contains("volume.cfg", e.Message);
    }

    [Theory]
    [InlineData("{\"Name\":\"b\",")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"Name\":\"b\",\"Size\":\"big\"}")]
    [InlineData("{\"Name\":\"b\",\"Blocks\":[{\"Offset\":0,\"BlockChecksum\":\"xyz\"}]}")]
    [InlineData("{\"Name\":\"b\",\"Blocks\":[{\"Offset\":-2097152,\"BlockChecksum\":\"" + Other + "\"}]}")]
    [InlineData("{\"Name\":\"b\",\"Blocks\":[{\"Offset\":1.5,\"BlockChecksum\":\"" + Other + "\"}]}")]
    public void Corrupt_backup_cfg_fails_with_CorruptConfig(string json)
    {
        var e = Assert.Throws<LonghornBackupException>(() => ParseBackup(json));
        Assert.Equal(ErrorIds.CorruptConfig, e.ErrorId);
        Assert.Contains("backup.cfg", e.Message);
    }

    [Fact]
    public async Task Corrupt_cfg_on_the_target_fails_loading_with_CorruptConfig()
    {
        using var t = new TestStore();
        string cfg = t.BackupCfgFile("vol-a", "backup-0000000000000001");
        Directory.CreateDirectory(Path.GetDirectoryName(cfg)!);
        await File.WriteAllTextAsync(cfg, "{\"Name\":\"backup-0000000000000001\",\"Blocks\":[");
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.Store.GetBackupAsync("vol-a", "backup-0000000000000001", CancellationToken.None));
        Assert.Equal(ErrorIds.CorruptConfig, e.ErrorId);
    }
}
