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
/// transient fault that outlasted the retries, with the number of attempts really made. Messages name the bucket, key
/// and endpoint, never a secret.
/// </summary>
internal sealed partial class S3ErrorTranslator
{
    private readonly S3Connection _connection;

    public S3ErrorTranslator(S3Connection connection) => _connection = connection;

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

    /// <summary>The failure <paramref name="e"/> of the last of <paramref name="attempts"/> attempts to do <paramref name="op"/> on <paramref name="key"/>.</summary>
    public LonghornBackupException Translate(Exception e, S3Operation op, string key, int attempts)
    {
        string what = $"{Verb(op)} '{key}' in bucket '{_connection.Bucket}'";
        string bucket = _connection.Bucket;
        string afterAttempts = Http.RequestRetries.AfterAttempts(attempts);

        if (AnswerOf(e) is { } s)
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
            bool transient = IsTransientAnswer(status, code);
            string after = transient ? afterAttempts : "";
            return Failed(op, key, $"Could not {what}: {Where} answered {answered}{after}: {s.Message}",
                transient ? "The store is overloaded or failing; try again later. Blocks already uploaded are reused by the next backup." : null, e, transient);
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
            return Unreachable($"{Capital(Where)} did not answer in time when trying to {what}{afterAttempts}.", e);
        if (Find<HttpRequestException>(e) is { } http)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {http.Message}", e);
        if (Find<IOException>(e) is { } io)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {io.Message}", e);
        // A body that failed its MD5 check, an answer that could not be parsed, anything else the SDK threw.
        return Failed(op, key, $"Could not {what} at {Where}{(IsTransient(e) ? afterAttempts : "")}: {e.Message}", null, e);
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

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

    /// <summary>
    /// StoreWriteFailed or StoreReadFailed. One for an answer that kept coming back transient (busy, 5xx) is
    /// ResourceUnavailable, not a write or read error: nothing is wrong with the object, so a deep check must fail
    /// rather than call a block it could not get corrupt, and a listing must not show a backup as unreadable.
    /// </summary>
    private static LonghornBackupException Failed(S3Operation op, string key, string message, string? action, Exception e, bool transient = false) =>
        op is S3Operation.Write or S3Operation.Delete
            ? new(ErrorIds.StoreWriteFailed, transient ? ErrorKind.ResourceUnavailable : ErrorKind.WriteError, message, key, action, e)
            : new(ErrorIds.StoreReadFailed, transient ? ErrorKind.ResourceUnavailable : ErrorKind.ReadError, message, key, action, e);

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (int depth = 0; e is not null && depth < 12; depth++, e = e.InnerException)
        {
            if (e is T match) return match;
            if (e is AggregateException { InnerExceptions.Count: > 0 } agg) return Find<T>(agg.InnerExceptions[0]);
        }
        return null;
    }

    /// <summary>
    /// A fault worth the whole request again: throttling, a 500, 502, 503 or 504 answer, S3's RequestTimeout, a body
    /// that failed its MD5 check or a listing that does not parse (damaged or cut short in transit), or a transient
    /// transport fault (a reset, a body cut short, a time limit). Not a refused connection or unknown host, a TLS
    /// failure, or any other answer of the store.
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        if (AnswerOf(e) is { } s) return IsTransientAnswer((int)s.StatusCode, s.ErrorCode ?? "");
        if (e is AmazonClientException client && IsBodyChecksumMismatch(client)) return true;
        // A successful answer the SDK could not parse: cut short or damaged on the way (a store's own errors parse).
        if (Find<System.Xml.XmlException>(e) is not null) return true;
        return Http.TransportFaults.IsTransient(e);
    }

    private static bool IsTransientAnswer(int status, string code) =>
        status is 500 or 502 or 503 or 504 or 429 or 408
        || code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout" or "RequestThrottled" or "RequestLimitExceeded"
            or "TooManyRequestsException" or "BandwidthLimitExceeded" or "InternalError" or "ServiceUnavailable";

    /// <summary>
    /// The store's answer, when the failure is one: not when the SDK could not read a successful answer to the end
    /// (the connection dropped mid-body), which is the network's fault.
    /// </summary>
    private static AmazonServiceException? AnswerOf(Exception e) =>
        e is AmazonServiceException s && (s.StatusCode != 0 || !string.IsNullOrEmpty(s.ErrorCode))
            && !((int)s.StatusCode is >= 200 and < 300 && string.IsNullOrEmpty(s.ErrorCode))
            ? s : null;

    /// <summary>The SDK's check of a downloaded body against its ETag (MD5) failed.</summary>
    public static bool IsBodyChecksumMismatch(AmazonClientException e) =>
        e.Message.Contains("hash", StringComparison.OrdinalIgnoreCase);

    public static bool IsNotFound(Exception e) =>
        e is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } s && s.ErrorCode is not "NoSuchBucket";
}
