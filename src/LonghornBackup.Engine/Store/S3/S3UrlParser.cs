using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Parses Longhorn's S3 target URLs, s3://bucket@region/prefix/ and s3://bucket/prefix/ (docs/backupstore-format.md §7.3). A path is
/// required (at least "/"); the prefix is the path without its leading and trailing '/', and the canonical form ends
/// in '/' as Longhorn's documentation asks. Credentials and ports never belong in the URL: such a URL is refused
/// without being echoed, so a secret pasted into it does not reach an error message.
/// </summary>
internal static partial class S3UrlParser
{
    // S3's rules for new buckets: 3-63 characters, lower-case letters, digits, '.' and '-', starting and ending with
    // a letter or digit. MinIO, Ceph RGW and the other S3-compatible stores enforce the same rules.
    private static readonly Regex BucketPattern = new("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant);

    private static readonly Regex IpAddressPattern = new(@"^\d{1,3}(\.\d{1,3}){3}$", RegexOptions.CultureInvariant);

    private static readonly Regex RegionPattern = new("^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$", RegexOptions.CultureInvariant);

    public static bool IsRegionName(string region) => RegionPattern.IsMatch(region);

    public static (string Canonical, S3Location Location) Parse(string url, string rest)
    {
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        if (authority.Contains(':'))
            throw Invalid("s3://…", "the part before the path must be 'bucket' or 'bucket@region'. Credentials and ports do not belong in the URL.",
                "Give s3://bucket@region/prefix/ and pass the endpoint with -EndpointUrl and the keys with -AccessKey/-SecretKey, -Credential or -ProfileName.");
        if (rest.IndexOfAny(new[] { '?', '#' }) >= 0)
            throw Invalid(url, "an S3 target URL takes no query or fragment.");
        string bucket = authority;
        string? region = null;
        int at = authority.IndexOf('@');
        if (at >= 0)
        {
            bucket = authority[..at];
            region = authority[(at + 1)..];
            if (region.Length == 0 || region.Contains('@') || !RegionPattern.IsMatch(region))
                throw Invalid(url, $"'{region}' is not a region name: use lower-case letters, digits and '-', as in us-east-1.");
        }
        if (bucket.Length == 0)
            throw Invalid(url, "the bucket name is missing.");
        if (!BucketPattern.IsMatch(bucket) || bucket.Contains("..") || IpAddressPattern.IsMatch(bucket))
            throw Invalid(url, $"'{bucket}' is not a valid bucket name: use 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.");

        if (slash < 0)
            throw Invalid(url, "a path is required, at least '/', as in s3://bucket@us-east-1/ or s3://bucket/prefix/.");
        string prefix = ParsePrefix(url, rest[slash..]);
        string canonical = "s3://" + bucket + (region is null ? "" : "@" + region) + "/" +
            (prefix.Length == 0 ? "" : string.Join('/', prefix.Split('/').Select(Uri.EscapeDataString)) + "/");
        return (canonical, new S3Location(bucket, region, prefix));
    }

    private static string ParsePrefix(string url, string path)
    {
        var segments = path.Split('/');   // segments[0] is "" (the leading '/'); a trailing '/' gives a last "" too
        var decoded = new List<string>();
        for (int i = 1; i < segments.Length; i++)
        {
            string raw = segments[i];
            if (raw.Length == 0)
            {
                if (i == segments.Length - 1) break;
                throw Invalid(url, "the prefix has an empty segment ('//').");
            }
            string segment;
            try { segment = Uri.UnescapeDataString(raw); }
            catch (UriFormatException) { throw Invalid(url, $"'{raw}' is not validly percent-encoded."); }
            foreach (var part in segment.Split('/'))
            {
                if (part.Length == 0 || part == "." || part == ".." || part.Contains('\\') || part.Any(char.IsControl))
                    throw Invalid(url, $"the prefix segment '{segment}' is not allowed (no '.', '..', backslashes or control characters).");
                decoded.Add(part);
            }
        }
        string prefix = string.Join('/', decoded);
        if (prefix.Length > 512)
            throw Invalid(url, "the prefix is longer than 512 characters; S3 keys are at most 1024 bytes.");
        return prefix;
    }

    private static LonghornBackupException Invalid(string url, string why, string? action = null) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid S3 backup target URL: {why}", url,
            action ?? "Give the URL in Longhorn's form, s3://bucket@region/prefix/ or s3://bucket/prefix/.");
}
