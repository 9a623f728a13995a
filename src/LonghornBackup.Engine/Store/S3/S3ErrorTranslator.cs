using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>What the S3 driver was doing when a request failed, for the message.</summary>
internal enum S3Operation
{
    List,
    Read,
    Write,
    Stat,
    Delete,
}

/// <summary>
/// Turns what the AWS SDK throws into LonghornBackupException with a stable ErrorId and words a user can act on:
/// no such bucket, wrong region, rejected credentials, access denied, TLS failure, unreachable endpoint, or a
/// server error that outlasted the retries. Messages name the bucket, key and endpoint, never a secret.
/// </summary>
internal sealed partial class S3ErrorTranslator
{
    private readonly S3Connection _connection;
    private readonly int _attempts;

    public S3ErrorTranslator(S3Connection connection, int maxErrorRetry)
    {
        _connection = connection;
        _attempts = maxErrorRetry + 1;
    }

    private string Where => _connection.Endpoint is null
        ? $"AWS S3 (region {_connection.Region})"
        : $"the S3 endpoint {_connection.Endpoint.GetLeftPart(UriPartial.Authority)}";

    private static string Verb(S3Operation op) => op switch
    {
        S3Operation.List => "list",
        S3Operation.Read => "read",
        S3Operation.Write => "write",
        S3Operation.Stat => "check",
        _ => "delete",
    };

    private static readonly Regex RegionElement = new("<Region>([^<]+)</Region>", RegexOptions.CultureInvariant);

    public LonghornBackupException Translate(Exception e, S3Operation op, string key)
    {
        string what = $"{Verb(op)} '{key}' in bucket '{_connection.Bucket}'";
        string bucket = _connection.Bucket;

        if (e is AmazonServiceException s && (s.StatusCode != 0 || !string.IsNullOrEmpty(s.ErrorCode)))
        {
            string code = s.ErrorCode ?? "";
            int status = (int)s.StatusCode;
            string answered = $"{status} {code}".Trim();
            switch (code)
            {
                case "NoSuchBucket":
                    return new(ErrorIds.BucketNotFound, ErrorKind.NotFound,
                        $"The bucket '{bucket}' does not exist at {Where}.", bucket,
                        "Check the bucket name in the target URL (and the endpoint), or create the bucket.", e);
                case "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" or "TokenRefreshRequired"
                    or "InvalidClientTokenId" or "AuthFailure" or "InvalidSecurity":
                    return new(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                        $"{Capital(Where)} rejected the credentials from {_connection.Credentials.Source} ({answered}): {s.Message}", bucket,
                        "Check the access key and secret key (and session token), or set them again with Set-LhBackupTarget -AccessKey/-SecretKey, -Credential or -ProfileName.", e);
                case "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" or "InvalidRegion":
                    return WrongRegion(s, e);
                case "AccessDenied" or "AllAccessDisabled" or "AccountProblem":
                    return new(ErrorIds.AccessDenied, ErrorKind.PermissionDenied,
                        $"Access was denied when trying to {what} at {Where} ({answered}).", key,
                        $"Grant the credentials from {_connection.Credentials.Source} s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on bucket '{bucket}'{(_connection.Prefix.Length > 0 ? $" and prefix '{_connection.Prefix}/'" : "")}.", e);
            }
            if (status is 301 or 307) return WrongRegion(s, e);
            if (status == 403)
                return new(ErrorIds.AccessDenied, ErrorKind.PermissionDenied,
                    $"Access was denied when trying to {what} at {Where} ({answered}).", key,
                    "Check the credentials and the bucket policy: s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject are needed.", e);
            if (status == 404 && op is S3Operation.List)
                return new(ErrorIds.BucketNotFound, ErrorKind.NotFound,
                    $"The bucket '{bucket}' was not found at {Where} ({answered}).", bucket,
                    "Check the bucket name, the endpoint and the addressing style (-ForcePathStyle).", e);
            bool transient = status >= 500 || status == 429 || code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout";
            string after = transient ? $" after {_attempts} attempts" : "";
            return Failed(op, key, $"Could not {what}: {Where} answered {answered}{after}: {s.Message}",
                transient ? "The store is overloaded or failing; try again later. Blocks already uploaded are reused by the next backup." : null, e);
        }

        if (Find<AuthenticationException>(e) is { } tls)
            return new(ErrorIds.TlsFailure, ErrorKind.SecurityError,
                $"The TLS connection to {Where} failed: {tls.Message} {tls.InnerException?.Message}".TrimEnd(), bucket,
                "If the store uses a private CA, give its certificate with Set-LhBackupTarget -CACertificatePath (or AWS_CERT); check that the endpoint's host name matches its certificate.", e);

        if (Find<SocketException>(e) is { } socket && socket.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
            return Unreachable($"The host name of {Where} could not be resolved ({socket.Message}).", e);
        if (Find<WebException>(e) is { Status: WebExceptionStatus.NameResolutionFailure } lookup)   // .NET Framework's HttpWebRequest
            return Unreachable($"The host name of {Where} could not be resolved ({lookup.Message}).", e);
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.ConnectionRefused } refused)
            return Unreachable($"{Capital(Where)} refused the connection ({refused.Message}).", e);
        if (Find<TimeoutException>(e) is not null || e is OperationCanceledException || Find<TaskCanceledException>(e) is not null)
            return Unreachable($"{Capital(Where)} did not answer in time when trying to {what}{AfterAttempts}.", e);
        if (Find<HttpRequestException>(e) is { } http)
            return Unreachable($"Could not {what}: the connection to {Where} failed{AfterAttempts}: {http.Message}", e);
        if (Find<IOException>(e) is { } io)
            return Unreachable($"Could not {what}: the connection to {Where} failed{AfterAttempts}: {io.Message}", e);
        if (e is AmazonClientException client)
            return Failed(op, key, $"Could not {what} at {Where}: {client.Message}", null, e);
        return Failed(op, key, $"Could not {what} at {Where}: {e.Message}", null, e);
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private string AfterAttempts => $" after {_attempts} attempts";

    private LonghornBackupException WrongRegion(AmazonServiceException s, Exception e)
    {
        string? actual = s is AmazonS3Exception s3 ? RegionIn(s3) : null;
        string bucket = _connection.Bucket;
        return new(ErrorIds.WrongRegion, ErrorKind.InvalidArgument,
            $"The bucket '{bucket}' is not in region '{_connection.Region}' (from {_connection.RegionSource}){(actual is null ? "" : $"; S3 says it is in '{actual}'")}: {(int)s.StatusCode} {s.ErrorCode}.",
            bucket, $"Put the bucket's region in the target URL: s3://{bucket}@{actual ?? "<region>"}/{(_connection.Prefix.Length == 0 ? "" : _connection.Prefix + "/")}", e);
    }

    /// <summary>The region S3 says the bucket is in: from the error body, or the region the SDK parsed from it (internal in AWSSDK.S3 4.x).</summary>
    private static string? RegionIn(AmazonS3Exception e)
    {
        if (e.ResponseBody is { } body && RegionElement.Match(body) is { Success: true } m) return m.Groups[1].Value;
        var property = typeof(AmazonS3Exception).GetProperty("Region", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);
        return property?.GetValue(e) is string { Length: > 0 } region ? region : null;
    }

    private LonghornBackupException Unreachable(string message, Exception e) =>
        new(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable, message, _connection.Bucket,
            _connection.Endpoint is null
                ? "Check the network connection to AWS and any proxy settings (HTTPS_PROXY, NO_PROXY)."
                : $"Check that the S3 endpoint {_connection.Endpoint.GetLeftPart(UriPartial.Authority)} is running and reachable from here (-EndpointUrl, AWS_ENDPOINTS, proxies).", e);

    private static LonghornBackupException Failed(S3Operation op, string key, string message, string? action, Exception e) =>
        op is S3Operation.Write or S3Operation.Delete
            ? new(ErrorIds.StoreWriteFailed, ErrorKind.WriteError, message, key, action, e)
            : new(ErrorIds.StoreReadFailed, ErrorKind.ReadError, message, key, action, e);

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (int depth = 0; e is not null && depth < 12; depth++, e = e.InnerException)
        {
            if (e is T match) return match;
            if (e is AggregateException { InnerExceptions.Count: > 0 } agg) return Find<T>(agg.InnerExceptions[0]);
        }
        return null;
    }

    /// <summary>The SDK's check of a downloaded body against its ETag (MD5) failed.</summary>
    public static bool IsBodyChecksumMismatch(AmazonClientException e) =>
        e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase);

    public static bool IsNotFound(Exception e) =>
        e is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } s && s.ErrorCode is not "NoSuchBucket";
}
