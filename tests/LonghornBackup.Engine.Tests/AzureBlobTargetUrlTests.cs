using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.AzureBlob;

namespace LonghornBackup.Engine.Tests;

/// <summary>Longhorn's Azure Blob target URLs: container, endpoint suffix and prefix, the canonical form, and what is refused.</summary>
public class AzureBlobTargetUrlTests
{
    [Theory]
    [InlineData("azblob://backups@core.windows.net/", "backups", "core.windows.net", "", "azblob://backups@core.windows.net/")]
    [InlineData("azblob://backups@core.windows.net/longhorn/", "backups", "core.windows.net", "longhorn", "azblob://backups@core.windows.net/longhorn/")]
    [InlineData("azblob://backups@core.chinacloudapi.cn/a/b", "backups", "core.chinacloudapi.cn", "a/b", "azblob://backups@core.chinacloudapi.cn/a/b/")]
    [InlineData("azblob://lh-backups/longhorn", "lh-backups", null, "longhorn", "azblob://lh-backups/longhorn/")]
    [InlineData("AZBLOB://abc/my%20path/", "abc", null, "my path", "azblob://abc/my%20path/")]
    public void Longhorns_azblob_urls_parse_into_container_suffix_and_prefix(string url, string container, string? suffix, string prefix, string canonical)
    {
        var target = TargetUrl.Parse(url);
        Assert.Equal(AzureBlobDriver.KindName, target.Kind);
        Assert.Equal(new AzureBlobLocation(container, suffix, prefix), target.Location);
        Assert.Equal(canonical, target.Canonical);
        Assert.Null(target.LocalPath);
        Assert.Equal(canonical, TargetUrl.Parse(target.Canonical).Canonical);
    }

    [Theory]
    [InlineData("azblob://backups@core.windows.net", "a path is required")]
    [InlineData("azblob://backups", "a path is required")]
    [InlineData("azblob:///prefix/", "container name is missing")]
    [InlineData("azblob://@core.windows.net/p/", "container name is missing")]
    [InlineData("azblob://backups@/p/", "not an endpoint suffix")]
    [InlineData("azblob://backups/../etc/", "not allowed")]
    [InlineData("azblob://backups/a/%2e%2e/b/", "not allowed")]
    [InlineData("azblob://backups/a//b/", "empty segment")]
    [InlineData("azblob://Backups/p/", "not a valid container name")]
    [InlineData("azblob://ab/p/", "not a valid container name")]
    [InlineData("azblob://back--ups/p/", "not a valid container name")]
    [InlineData("azblob://backups-/p/", "not a valid container name")]
    [InlineData("azblob://back_ups/p/", "not a valid container name")]
    public void Urls_with_missing_parts_traversal_or_a_container_name_Azure_rejects_fail_with_InvalidBackupTargetUrl(string url, string why)
    {
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse(url));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("azblob://devstoreaccount1:SECRETKEY@backups/p/")]
    [InlineData("azblob://backups/p/?sv=2024&sig=SECRETSIG")]
    public void Credentials_in_the_url_are_refused_without_being_echoed(string url)
    {
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse(url));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
        Assert.DoesNotContain("SECRET", e.Message + e.RecommendedAction + e.TargetObject);
    }
}
