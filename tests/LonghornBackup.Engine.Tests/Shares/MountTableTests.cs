using LonghornBackup.Engine.Store.Shares;

namespace LonghornBackup.Engine.Tests.Shares;

/// <summary>Reading /proc/self/mountinfo and finding a share by its source, as the drivers do before mounting anything.</summary>
public sealed class MountTableTests
{
    // Lines in the kernel's format, including an optional-fields section of several fields, a mount point with a
    // space (\040), a CIFS share, and a second mount hiding the first at the same point.
    private const string Sample =
        "22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" +
        "95 22 0:52 / /mnt/nas\\040backups rw,relatime shared:40 master:2 - nfs4 nas.example:/srv/longhorn rw,vers=4.2,rsize=1048576,hard,proto=tcp\n" +
        "96 22 0:53 / /mnt/win rw,relatime shared:41 - cifs //FileServer/Longhorn rw,vers=3.1.1,cache=strict,username=bob\n" +
        "97 22 0:54 / /mnt/old rw - nfs4 old.example:/export rw\n" +
        "98 22 0:55 / /mnt/old rw - tmpfs tmpfs rw\n" +
        "99 22 0:56 /sub/dir /mnt/bind rw - nfs4 other.example:/export rw\n" +
        "garbage line\n";

    [Fact]
    public void Parses_fields_and_decodes_escapes()
    {
        var table = MountTable.Parse(Sample);
        Assert.Equal(6, table.Entries.Count);
        var nfs = table.Entries[1];
        Assert.Equal((95, "/", "/mnt/nas backups", "nfs4", "nas.example:/srv/longhorn"), (nfs.Id, nfs.Root, nfs.MountPoint, nfs.FileSystemType, nfs.Source));
        Assert.Contains("vers=4.2", nfs.Options, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nas.example", "/srv/longhorn", "/mnt/nas backups")]
    [InlineData("NAS.EXAMPLE", "/srv/longhorn/", "/mnt/nas backups")]
    [InlineData("nas.example", "/srv/longhorn/cluster-a/x", "/mnt/nas backups/cluster-a/x")]
    [InlineData("other.example", "/export/sub/dir/more", "/mnt/bind/more")]
    public void Finds_an_nfs_export_or_a_parent_of_it_by_source(string host, string path, string folder)
    {
        var found = MountTable.Parse(Sample).FindSource(new ShareSource(ShareProtocol.Nfs, host, path), ShareMounter.FileSystemTypes(ShareProtocol.Nfs));
        Assert.Equal(folder, found?.Folder);
    }

    [Theory]
    [InlineData("nas.example", "/srv/longhornx")]     // a sibling, not a sub-folder
    [InlineData("nas.example", "/srv")]               // a parent of what is mounted
    [InlineData("old.example", "/export")]            // hidden by the tmpfs mounted over it
    [InlineData("other.example", "/export/elsewhere")] // the bind mount shows /export/sub/dir only
    [InlineData("nas2.example", "/srv/longhorn")]
    public void Does_not_find_what_the_mount_table_does_not_show(string host, string path) =>
        Assert.Null(MountTable.Parse(Sample).FindSource(new ShareSource(ShareProtocol.Nfs, host, path), ShareMounter.FileSystemTypes(ShareProtocol.Nfs)));

    [Fact]
    public void Finds_a_cifs_share_case_insensitively_and_not_as_nfs()
    {
        var table = MountTable.Parse(Sample);
        Assert.Equal("/mnt/win/cluster-a", table.FindSource(new ShareSource(ShareProtocol.Cifs, "fileserver", "/longhorn/cluster-a"), ShareMounter.FileSystemTypes(ShareProtocol.Cifs))?.Folder);
        Assert.Null(table.FindSource(new ShareSource(ShareProtocol.Nfs, "fileserver", "/longhorn"), ShareMounter.FileSystemTypes(ShareProtocol.Nfs)));
    }

    [Fact]
    public void Reads_the_file_the_variable_names()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "mountinfo");
        File.WriteAllText(file, Sample);
        Assert.Equal(6, MountTable.Read(file).Entries.Count);
        Assert.Empty(MountTable.Read(Path.Combine(dir.Path, "missing")).Entries);
    }
}
