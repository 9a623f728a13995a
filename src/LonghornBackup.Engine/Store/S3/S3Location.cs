namespace LonghornBackup.Engine.Store.S3;

/// <summary>An S3 target URL's parts: the bucket, the region after '@' (null when the URL names none) and the key prefix without leading or trailing '/'.</summary>
public sealed record S3Location(string Bucket, string? Region, string Prefix);
