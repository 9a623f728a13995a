using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Symbolic links and foreign files in a folder store: deletes remove only the format's own files, never follow a
/// link, and report what they left; links that stay inside the store still work.
/// </summary>
public class StoreLinkTests
{
    private const string V = HostileInputCorpus.SeedVolume;

    private static Task<VolumeDeletionResult> DeleteVolume(TestStore t, string volume) =>
        new VolumeDeleter(t.Store, TestStore.FastLocks).DeleteAsync(volume, null, null, CancellationToken.None);

    [Fact]
    public async Task Removing_a_volume_whose_folder_links_outside_deletes_nothing_there()
    {
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string link = HostileInputCorpus.LinkedVolume(t, "vol-linked");
        string outside = t.WorkFile("outside-volume");

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => DeleteVolume(t, "vol-linked"));

        Assert.Equal(ErrorIds.LinkOutsideBackupTarget, e.ErrorId);
        Assert.Contains(link, e.Message);
        Assert.Equal("not a backup file", File.ReadAllText(Path.Combine(outside, "precious.txt")));
        Assert.True(File.Exists(Path.Combine(outside, "volume.cfg")));
        Assert.True(File.Exists(Path.Combine(outside, "backups", "backup_x.cfg")));
    }

    [Fact]
    public async Task Removing_a_volume_leaves_files_that_are_not_the_formats_and_reports_them()
    {
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string precious = Path.Combine(t.VolumeDir(V), "precious.txt");
        File.WriteAllText(precious, "not a backup file");
        File.WriteAllText(Path.Combine(t.Root, StorePaths.BackupsDir(V), "notes.md"), "mine");
        string leftoverTemp = Path.Combine(t.Root, StorePaths.BackupsDir(V), "backup_old.cfg.tmp.1234567890");
        File.WriteAllText(leftoverTemp, "an interrupted write");

        var r = await DeleteVolume(t, V);

        Assert.Equal("not a backup file", File.ReadAllText(precious));
        Assert.False(File.Exists(leftoverTemp));   // the module's own temporary file goes
        Assert.Empty(t.BlockFiles(V));
        Assert.False(File.Exists(t.VolumeCfgFile(V)));
        Assert.Equal(new[] { $"{StorePaths.BackupsDir(V)}/notes.md", $"{StorePaths.VolumeDir(V)}/precious.txt" }, r.LeftBehind.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_link_inside_the_blocks_folder_is_not_followed_by_a_volume_removal()
    {
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string outside = Directory.CreateDirectory(t.WorkFile("outside-blocks")).FullName;
        File.WriteAllText(Path.Combine(outside, "precious.txt"), "not a backup file");
        File.WriteAllText(Path.Combine(outside, "fake.blk"), "looks like a block");
        string link = Path.Combine(t.Root, StorePaths.BlocksDir(V), "zz");
        Directory.CreateSymbolicLink(link, outside);

        var r = await DeleteVolume(t, V);

        Assert.True(File.Exists(Path.Combine(outside, "precious.txt")));
        Assert.True(File.Exists(Path.Combine(outside, "fake.blk")));
        Assert.Contains($"{StorePaths.BlocksDir(V)}/zz", r.LeftBehind);
        Assert.DoesNotContain(t.BlockFiles(V), f => !f.StartsWith(link, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_link_that_stays_inside_the_store_is_followed_for_reads()
    {
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string backups = Path.Combine(t.Root, StorePaths.BackupsDir(V));
        string moved = Path.Combine(t.Root, "elsewhere-in-store");
        Directory.Move(backups, moved);
        Directory.CreateSymbolicLink(backups, moved);

        string restored = await t.RestoreToNewFileAsync(V, HostileInputCorpus.SeedBackup);

        Assert.Equal(TestImages.Sha256(t.WorkFile("seed.img")), TestImages.Sha256(restored));
    }

    [Fact]
    public async Task A_store_root_reached_through_a_link_works()
    {
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string linkedRoot = Directory.CreateSymbolicLink(t.WorkFile("root-link"), t.Root).FullName;
        var store = new Catalog.Backupstore(new FileSystemStore(linkedRoot), TargetUrl.Parse(linkedRoot));

        Assert.Contains(HostileInputCorpus.SeedBackup, await store.ListBackupNamesAsync(V, CancellationToken.None));
        var r = await new VolumeDeleter(store, TestStore.FastLocks).DeleteAsync(V, null, null, CancellationToken.None);
        Assert.Equal(1, r.BackupsDeleted);
        Assert.Empty(r.LeftBehind);
    }
}
