using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Tests;

/// <summary>Names and labels (docs/backupstore-format.md §0, §4.7, §7.1): what is accepted, what is stored, and that bad input writes nothing.</summary>
public class LabelAndNameTests
{
    private static string SmallImage(TestStore t) =>
        TestImages.Create(t.WorkFile("img.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(1, 1000)));

    private static async Task AssertRejectedAndNothingWritten(TestStore t, string errorId, Func<Task> backup)
    {
        var e = await Assert.ThrowsAsync<LonghornBackupException>(backup);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.True(t.RootIsEmpty, "the target folder should still be empty: " +
            string.Join(", ", Directory.EnumerateFileSystemEntries(t.Root, "*", SearchOption.AllDirectories)));
    }

    [Fact]
    public async Task Labels_round_trip_into_backup_cfg_and_volume_cfg()
    {
        using var t = new TestStore();
        var labels = new Dictionary<string, string>
        {
            ["app"] = "postgres",
            ["longhorn.io/volume-access-mode"] = "rwo",
            ["RecurringJob"] = "nightly-1",
            ["empty"] = "",
        };
        var r = await t.BackupAsync("vol-l", SmallImage(t), labels: labels);

        Assert.Equal(labels, t.ReadBackupCfg("vol-l", r.Backup.Name).Labels);
        Assert.Equal(labels, t.ReadVolumeCfg("vol-l").Labels);
        Assert.Contains("\"Labels\":{\"RecurringJob\":\"nightly-1\",\"app\":\"postgres\",\"empty\":\"\",\"longhorn.io/volume-access-mode\":\"rwo\"}",
            File.ReadAllText(t.BackupCfgFile("vol-l", r.Backup.Name)));   // Go writes map keys sorted

        // volume.cfg's labels are replaced by the latest backup's (docs/backupstore-format.md §2.1).
        var r2 = await t.BackupAsync("vol-l", SmallImage(t), snapshot: "s2", labels: new Dictionary<string, string> { ["app"] = "mysql" });
        Assert.Equal(new Dictionary<string, string> { ["app"] = "mysql" }, t.ReadVolumeCfg("vol-l").Labels);
        Assert.Equal(labels, t.ReadBackupCfg("vol-l", r.Backup.Name).Labels);
        Assert.Equal("mysql", t.ReadBackupCfg("vol-l", r2.Backup.Name).Labels!["app"]);
    }

    [Fact]
    public async Task No_labels_are_written_as_null()
    {
        using var t = new TestStore();
        var r = await t.BackupAsync("vol-nl", SmallImage(t));
        Assert.Contains("\"Labels\":null", File.ReadAllText(t.BackupCfgFile("vol-nl", r.Backup.Name)));
        Assert.Null(t.ReadVolumeCfg("vol-nl").Labels);
    }

    [Fact]
    public async Task Generated_backup_names_look_like_longhorns()
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        var names = new List<string>();
        for (int i = 0; i < 3; i++) names.Add((await t.BackupAsync("vol-g", image, snapshot: $"s{i}")).Backup.Name);
        Assert.All(names, n => Assert.Matches("^backup-[0-9a-f]{16}$", n));
        Assert.Equal(3, names.Distinct().Count());
        Assert.Equal(names.Order(StringComparer.Ordinal), await t.Store.ListBackupNamesAsync("vol-g", CancellationToken.None));
        Assert.All(Enumerable.Range(0, 50).Select(_ => NameRules.NewBackupName()), n => Assert.Matches("^backup-[0-9a-f]{16}$", n));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("UPPER")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("x0123456789012345678901234567890123456789012345678901234567890123")] // 65 characters
    public async Task Invalid_volume_names_fail_with_InvalidName_and_write_nothing(string volume)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidName, () => t.BackupAsync(volume, image));
    }

    [Fact]
    public async Task Longest_allowed_volume_name_is_accepted()
    {
        using var t = new TestStore();
        string name = "v" + new string('0', 63);
        var r = await t.BackupAsync(name, SmallImage(t));
        Assert.Equal(name, t.ReadVolumeCfg(name).Name);
        Assert.Equal(name, r.Backup.VolumeName);
    }

    public static TheoryData<string, string> BadLabels() => new()
    {
        { "bad key", "v" },
        { "", "v" },
        { "-lead", "v" },
        { "k", "bad value!" },
        { "k", "-lead" },
        { "k", new string('v', 64) },
        { new string('k', 64), "v" },
        { "Example.com/k", "v" },
        { "/k", "v" },
        { "example.com/", "v" },
        { "a/b/c", "v" },
    };

    [Theory]
    [MemberData(nameof(BadLabels))]
    public async Task Invalid_labels_fail_with_InvalidLabel_and_write_nothing(string key, string value)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidLabel,
            () => t.BackupAsync("vol-x", image, labels: new Dictionary<string, string> { [key] = value }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4096)]
    [InlineData(1024 * 1024)]
    [InlineData(3 * 1024 * 1024)]
    [InlineData(32 * 1024 * 1024)]
    public async Task Invalid_block_sizes_fail_with_InvalidBlockSize_and_write_nothing(int blockSize)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidBlockSize, () => t.BackupAsync("vol-x", image, blockSize: blockSize));
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("LZ4")]
    [InlineData("")]
    public async Task Invalid_compression_methods_fail_and_write_nothing(string method)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidCompressionMethod, () => t.BackupAsync("vol-x", image, compression: method));
    }

    [Theory]
    [InlineData("../backup-x")]
    [InlineData("a")]
    [InlineData("backup/x")]
    public async Task Invalid_backup_names_fail_with_InvalidName_and_write_nothing(string backupName)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidName, () => t.BackupAsync("vol-x", image, backupName: backupName));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("snap\nshot")]
    public async Task Invalid_snapshot_names_fail_with_InvalidName_and_write_nothing(string snapshot)
    {
        using var t = new TestStore();
        string image = SmallImage(t);
        await AssertRejectedAndNothingWritten(t, ErrorIds.InvalidName, () => t.BackupAsync("vol-x", image, snapshot: snapshot));
    }

    [Fact]
    public void Missing_image_fails_with_SnapshotNotFound_and_writes_nothing()
    {
        using var t = new TestStore();
        var e = Assert.Throws<LonghornBackupException>(() => RawImageSource.Open(t.WorkFile("nope.img")));
        Assert.Equal(ErrorIds.SnapshotNotFound, e.ErrorId);
        Assert.True(t.RootIsEmpty);
    }

    [Fact]
    public async Task Empty_image_fails_and_writes_nothing()
    {
        using var t = new TestStore();
        string image = TestImages.Create(t.WorkFile("zero-length.img"), 0);
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.BackupAsync("vol-x", image));
        Assert.Equal(ErrorIds.SnapshotReadFailed, e.ErrorId);
        Assert.True(t.RootIsEmpty);
    }

    [Theory]
    [InlineData("pvc-1", true)]
    [InlineData("BACKINGIMAGE", true)]
    [InlineData("a", false)]
    [InlineData("../x", false)]
    [InlineData("a/b", false)]
    public void Store_name_rule_is_longhorns_validate_name(string name, bool valid)
    {
        Assert.Equal(valid, NameRules.IsValidStoreName(name));
    }

    [Fact]
    public async Task Reading_with_a_path_traversal_name_is_refused()
    {
        using var t = new TestStore();
        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => t.Store.LoadVolumeAsync("../x", CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
        var e2 = await Assert.ThrowsAsync<LonghornBackupException>(() => t.Store.LoadBackupAsync("vol", "../../x", CancellationToken.None));
        Assert.Equal(ErrorIds.InvalidName, e2.ErrorId);
    }
}
