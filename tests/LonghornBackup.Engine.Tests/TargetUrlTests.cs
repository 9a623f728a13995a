using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §7.2/§7.3: which target URLs are accepted, their canonical vfs:// form, and Longhorn's backup URL.</summary>
public class TargetUrlTests
{
    [Theory]
    [InlineData("vfs:///var/backups", "/var/backups")]
    [InlineData("file:///var/backups", "/var/backups")]
    [InlineData("/var/backups", "/var/backups")]
    [InlineData("/var/backups/", "/var/backups")]
    [InlineData("vfs:///var/backups/", "/var/backups")]
    [InlineData("VFS:///var/backups", "/var/backups")]
    [InlineData("vfs:///var/my%20backups", "/var/my backups")]
    [InlineData("/var/x/../backups", "/var/backups")]
    public void Absolute_file_system_targets_become_canonical_vfs_urls(string url, string path)
    {
        var target = TargetUrl.Parse(url);
        Assert.Equal("FileSystem", target.Kind);
        Assert.Equal(path, target.LocalPath);
        Assert.Equal("vfs://" + path.Replace(" ", "%20"), target.Canonical);
        Assert.Equal(target.Canonical, target.ToString());
    }

    [Fact]
    public void Relative_path_is_resolved_against_the_current_folder()
    {
        var target = TargetUrl.Parse("some/relative/dir");
        string full = Path.GetFullPath("some/relative/dir");
        Assert.Equal("FileSystem", target.Kind);
        Assert.Equal(full, target.LocalPath);
        Assert.Equal("vfs://" + full, target.Canonical);
        Assert.StartsWith("vfs:///", target.Canonical);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with space")]
    [InlineData("100%")]
    [InlineData("a%20b")]
    [InlineData("x%2Fy")]
    public void Canonical_url_parses_back_to_the_same_folder(string folderName)
    {
        // The URL printed for a target (and inside every backup URL) must lead back to that folder.
        string path = "/srv/" + folderName;
        var target = TargetUrl.Parse(path);
        Assert.Equal(path, target.LocalPath);
        var again = TargetUrl.Parse(target.Canonical);
        Assert.Equal(path, again.LocalPath);
        var (fromBackupUrl, _, _) = TargetUrl.SplitBackupUrl(target.BackupUrl("v", "backup-x"));
        Assert.Equal(path, TargetUrl.Parse(fromBackupUrl).LocalPath);
    }

    [Theory]
    [InlineData("vfs://host/x")]
    [InlineData("vfs://relative")]
    [InlineData("file://server/share")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("ftp://x")]
    [InlineData("http://example.com/backups")]
    [InlineData("nfs://h/p")]
    [InlineData("cifs://server")]
    [InlineData("vfs:///p?backup=backup-x&volume=v")]
    [InlineData("/p?x=1")]
    public void Malformed_or_unsupported_targets_fail_with_InvalidBackupTargetUrl(string? url)
    {
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse(url));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
    }

    [Fact]
    public void Backup_url_has_sorted_backup_and_volume_keys()
    {
        var target = TargetUrl.Parse("vfs:///p");
        Assert.Equal("vfs:///p?backup=backup-x&volume=v", target.BackupUrl("v", "backup-x"));
        Assert.Equal("vfs:///p?volume=pvc-1", target.VolumeUrl("pvc-1"));
    }

    [Fact]
    public void Backup_url_is_the_fixtures_url_with_its_root()
    {
        // manifest.json: vfs://FIXTURE_ROOT?backup=backup-1cce2812c72544ff&volume=vol-lz4
        var target = TargetUrl.Parse(TestImages.FixtureRoot);
        Assert.Equal($"vfs://{TestImages.FixtureRoot.TrimEnd('/')}?backup=backup-1cce2812c72544ff&volume=vol-lz4",
            target.BackupUrl("vol-lz4", "backup-1cce2812c72544ff"));
    }

    [Theory]
    [InlineData("vfs:///p?backup=backup-x&volume=v", "vfs:///p", "v", "backup-x")]
    [InlineData("vfs:///p?volume=v", "vfs:///p", "v", null)]
    [InlineData("vfs:///p", "vfs:///p", null, null)]
    [InlineData("nfs://h:/p?backup=b1&nfsOptions=soft%2Ctimeo%3D450&volume=v", "nfs://h:/p?nfsOptions=soft%2Ctimeo%3D450", "v", "b1")]
    public void Backup_urls_split_into_target_volume_and_backup(string url, string target, string? volume, string? backup)
    {
        var (t, v, b) = TargetUrl.SplitBackupUrl(url);
        Assert.Equal(target, t);
        Assert.Equal(volume, v);
        Assert.Equal(backup, b);
    }

    [Fact]
    public void Opening_a_missing_folder_fails_and_does_not_create_it()
    {
        using var dir = new TempDir();
        string missing = Path.Combine(dir.Path, "not-mounted");
        var e = Assert.Throws<LonghornBackupException>(() => Backupstore.Open(TargetUrl.Parse(missing)));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, e.ErrorId);
        Assert.False(Directory.Exists(missing));
    }
}
