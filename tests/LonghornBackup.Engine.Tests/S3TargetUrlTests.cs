using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>docs/backupstore-format.md §7.3: Longhorn's S3 target URLs, their bucket, region and prefix, their canonical form and backup URLs.</summary>
public class S3TargetUrlTests
{
    [Theory]
    [InlineData("s3://backupbucket@us-east-1/", "backupbucket", "us-east-1", "", "s3://backupbucket@us-east-1/")]
    [InlineData("s3://backupbucket@us-east-1/mypath/", "backupbucket", "us-east-1", "mypath", "s3://backupbucket@us-east-1/mypath/")]
    [InlineData("s3://backupbucket@us-east-1/mypath", "backupbucket", "us-east-1", "mypath", "s3://backupbucket@us-east-1/mypath/")]
    [InlineData("s3://backupbucket/", "backupbucket", null, "", "s3://backupbucket/")]
    [InlineData("s3://my.bucket-1/a/b/c/", "my.bucket-1", null, "a/b/c", "s3://my.bucket-1/a/b/c/")]
    [InlineData("S3://bucket@us/longhorn/", "bucket", "us", "longhorn", "s3://bucket@us/longhorn/")]
    [InlineData("s3://bucket@eu-central-1/my%20path/", "bucket", "eu-central-1", "my path", "s3://bucket@eu-central-1/my%20path/")]
    public void Longhorns_s3_urls_parse_into_bucket_region_and_prefix(string url, string bucket, string? region, string prefix, string canonical)
    {
        var target = TargetUrl.Parse(url);
        Assert.Equal("S3", target.Kind);
        Assert.Equal(bucket, target.S3().Bucket);
        Assert.Equal(region, target.S3().Region);
        Assert.Equal(prefix, target.S3().Prefix);
        Assert.Equal(canonical, target.Canonical);
        Assert.Null(target.LocalPath);
        Assert.Equal(canonical, TargetUrl.Parse(target.Canonical).Canonical);   // canonical is a fixed point
    }

    [Fact]
    public void Backup_urls_are_longhorns_and_split_back()
    {
        var target = TargetUrl.Parse("s3://backupbucket@us-east-1/mypath/");
        string url = target.BackupUrl("pvc-1", "backup-0123456789abcdef");
        Assert.Equal("s3://backupbucket@us-east-1/mypath/?backup=backup-0123456789abcdef&volume=pvc-1", url);   // docs/backupstore-format.md §7.2
        var (t, v, b) = TargetUrl.SplitBackupUrl(url);
        Assert.Equal("s3://backupbucket@us-east-1/mypath/", TargetUrl.Parse(t).Canonical);
        Assert.Equal("pvc-1", v);
        Assert.Equal("backup-0123456789abcdef", b);
    }

    [Theory]
    [InlineData("s3://", "bucket name is missing")]
    [InlineData("s3:///prefix/", "bucket name is missing")]
    [InlineData("s3://@us-east-1/", "bucket name is missing")]
    [InlineData("s3://bucket", "a path is required")]
    [InlineData("s3://bucket@us-east-1", "a path is required")]
    [InlineData("s3://Bucket/", "not a valid bucket name")]
    [InlineData("s3://b/", "not a valid bucket name")]
    [InlineData("s3://bucket_name/", "not a valid bucket name")]
    [InlineData("s3://-bucket/", "not a valid bucket name")]
    [InlineData("s3://bucket../", "not a valid bucket name")]
    [InlineData("s3://my..bucket/", "not a valid bucket name")]
    [InlineData("s3://192.168.1.10/", "not a valid bucket name")]
    [InlineData("s3://bucket@/", "not a region name")]
    [InlineData("s3://bucket@US EAST/", "not a region name")]
    [InlineData("s3://bucket@a@b/", "not a region name")]
    [InlineData("s3://bucket/a//b/", "empty segment")]
    [InlineData("s3://bucket/a/../b/", "not allowed")]
    [InlineData("s3://bucket/a/./b/", "not allowed")]
    [InlineData("s3://bucket/%2E%2E/", "not allowed")]
    [InlineData("s3://bucket/p/?backup=backup-x&volume=v", "no query")]
    [InlineData("s3://bucket/p/#x", "no query")]
    [InlineData("s3://bucket:9000/p/", "Credentials and ports do not belong")]
    public void Malformed_s3_urls_fail_with_InvalidBackupTargetUrl_saying_why(string url, string why)
    {
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse(url));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(why, e.Message);
        Assert.NotNull(e.RecommendedAction);
    }

    [Fact]
    public void Keys_pasted_into_the_url_are_refused_without_being_repeated()
    {
        const string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY";
        var e = Assert.Throws<LonghornBackupException>(() => TargetUrl.Parse($"s3://AKIAEXAMPLE:{secret}@bucket/prefix/"));
        Assert.Equal(ErrorIds.InvalidBackupTargetUrl, e.ErrorId);
        Assert.DoesNotContain("CANARY", e.Message + e.RecommendedAction + e.TargetObject);
        Assert.Contains("-SecretKey", e.RecommendedAction);
    }
}
