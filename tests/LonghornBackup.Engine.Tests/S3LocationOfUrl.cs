using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;

namespace LonghornBackup.Engine.Tests;

/// <summary>The bucket, region and prefix of a parsed s3:// target URL.</summary>
internal static class S3LocationOfUrl
{
    public static S3Location S3(this TargetUrl url) => Assert.IsType<S3Location>(url.Location);
}
