using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Cifs;
using LonghornBackup.Engine.Store.Nfs;
using LonghornBackup.Engine.Store.Shares;

namespace LonghornBackup.Engine.Tests.Shares;

/// <summary>nfs:// and cifs:// URLs as Longhorn's BackupTarget manifests write them, their mount sources and mount points, and bad forms.</summary>
public sealed class ShareUrlTests
{
    private static ShareLocation Location(string url) => (ShareLocation)TargetUrl.Parse(url).Location!;

    [Theory]
    [InlineData("nfs://longhorn-test-nfs-svc.default:/opt/backupstore", "longhorn-test-nfs-svc.default:/opt/backupstore",
        "/var/lib/longhorn-backupstore-mounts/longhorn-test-nfs-svc_default/opt/backupstore")]
    [InlineData("nfs://10.0.0.5:/exports/longhorn/", "10.0.0.5:/exports/longhorn", "/var/lib/longhorn-backupstore-mounts/10_0_0_5/exports/longhorn")]
    [InlineData("nfs://NAS.Example.COM:/Backups", "nas.example.com:/Backups", "/var/lib/longhorn-backupstore-mounts/nas_example_com/Backups")]
    public void Nfs_urls_give_Longhorns_mount_source_and_mount_point(string url, string source, string mountPoint)
    {
        var parsed = TargetUrl.Parse(url);
        Assert.Same(NfsDriver.Instance, parsed.Driver);
        Assert.Equal("NFS", parsed.Kind);
        var location = (ShareLocation)parsed.Location!;
        Assert.Equal(source, location.Source.Text);
        Assert.Equal(mountPoint, location.MountPoint());
        Assert.Empty(location.Options);
    }

    [Fact]
    public void Nfs_options_are_kept_in_order_whether_given_once_or_repeated()
    {
        var once = TargetUrl.Parse("nfs://nas:/export?nfsOptions=soft,timeo=450,retrans=3");
        var repeated = TargetUrl.Parse("nfs://nas:/export?nfsOptions=soft&nfsOptions=timeo=450&nfsOptions=retrans=3");
        Assert.Equal(new[] { "soft", "timeo=450", "retrans=3" }, ((ShareLocation)once.Location!).Options);
        Assert.Equal(((ShareLocation)once.Location!).Options, ((ShareLocation)repeated.Location!).Options);
        Assert.Equal("nfs://nas:/export?nfsOptions=soft,timeo=450,retrans=3", once.Canonical);
        Assert.Equal(once.Canonical, repeated.Canonical);
    }

    [Fact]
    public void Backup_urls_of_a_target_with_options_keep_them_sorted_as_Longhorn_encodes_them()
    {
        var url = TargetUrl.Parse("nfs://nas:/export?nfsOptions=soft,timeo=450");
        string backupUrl = url.BackupUrl("pvc-1", "backup-0123456789abcdef");
        // Go's url.Values.Encode: keys sorted, values query-escaped.
        Assert.Equal("nfs://nas:/export?backup=backup-0123456789abcdef&nfsOptions=soft%2Ctimeo%3D450&volume=pvc-1", backupUrl);
        Assert.Equal("nfs://nas:/export?nfsOptions=soft%2Ctimeo%3D450&volume=pvc-1", url.VolumeUrl("pvc-1"));

        var (target, volume, backup) = TargetUrl.SplitBackupUrl(backupUrl);
        Assert.Equal(("pvc-1", "backup-0123456789abcdef"), (volume, backup));
        Assert.Equal(url.Canonical, TargetUrl.Parse(target).Canonical);
        Assert.Equal("nfs://nas:/export?backup=b&volume=v", TargetUrl.Parse("nfs://nas:/export").BackupUrl("v", "b"));
    }

    [Theory]
    [InlineData("cifs://fileserver.corp/longhorn", "//fileserver.corp/longhorn", "/var/lib/longhorn-backupstore-mounts/fileserver_corp/longhorn")]
    [InlineData("cifs://10.1.2.3/backups/cluster-a/", "//10.1.2.3/backups/cluster-a", "/var/lib/longhorn-backupstore-mounts/10_1_2_3/backups/cluster-a")]
    [InlineData("cifs://srv/C$/backups", "//srv/C$/backups", "/var/lib/longhorn-backupstore-mounts/srv/C$/backups")]
    public void Cifs_urls_give_Longhorns_mount_source_and_mount_point(string url, string source, string mountPoint)
    {
        var parsed = TargetUrl.Parse(url);
        Assert.Same(CifsDriver.Instance, parsed.Driver);
        var location = (ShareLocation)parsed.Location!;
        Assert.Equal(source, location.Source.Text);
        Assert.Equal(mountPoint, location.MountPoint());
    }

    [Theory]
    [InlineData("nfs://nas/export", "followed by ':'")]
    [InlineData("nfs://nas:2049/export", "no port")]
    [InlineData("nfs://nas:", "names no")]
    [InlineData("nfs://nas:/", "names no export path")]
    [InlineData("nfs://:/export", "names no server")]
    [InlineData("nfs://nas:/srv/../etc", "'..'")]
    [InlineData("nfs://nas:/srv/./x", "'..'")]
    [InlineData("nfs://nas:/srv/a,b", "','")]
    [InlineData("nfs://nas:/srv/$HOME", "'$'")]
    [InlineData("nfs://nas:/srv/%22quoted%22", "quotes")]
    [InlineData("nfs://nas:/export?nfsOptions=soft,,timeo=1", "empty option")]
    [InlineData("nfs://nas:/export?nfsOptions=soft,", "empty option")]
    [InlineData("nfs://nas:/export?nfsOptions=sec=%22krb5%22", "not name or name=value")]
    [InlineData("nfs://nas:/export?nfsOptions=a%20b", "not name or name=value")]
    [InlineData("nfs://nas:/export?nfsOptions=x%27y", "not name or name=value")]
    [InlineData("nfs://nas:/export?cifsOptions=soft", "only nfsOptions")]
    [InlineData("nfs://nas:/export?mode=0700", "only nfsOptions")]
    [InlineData("nfs://bad_host!:/export", "not a server name")]
    [InlineData("nfs://nas:/export%zz", "malformed")]
    [InlineData("cifs://srv", "names no path")]
    [InlineData("cifs://srv/", "names no share")]
    [InlineData("cifs://srv:445/share", "no port")]
    [InlineData("cifs://user@srv/share", "credentials do not belong")]
    [InlineData("cifs://srv/share/../other", "'..'")]
    [InlineData("cifs://srv/share?cifsOptions=username=bob,password=hunter2", "password does not belong")]
    [InlineData("cifs://srv/share?cifsOptions=PASS=hunter2", "password does not belong")]
    [InlineData("cifs://srv/share?cifsOptions=domain=CORP,vers=3.0&nfsOptions=soft", "only cifsOptions")]
    public void Malformed_share_urls_are_refused_with_the_reason(string url, string reason)
    {
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse(url));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.RecommendedAction);
    }

    [Fact]
    public void A_cifs_domain_and_version_in_the_options_are_accepted()
    {
        var location = Location("cifs://srv/share/sub?cifsOptions=domain=CORP,vers=3.0,uid=0");
        Assert.Equal(new[] { "domain=CORP", "vers=3.0", "uid=0" }, location.Options);
        Assert.Equal("//srv/share/sub", location.Source.Text);
    }
}
