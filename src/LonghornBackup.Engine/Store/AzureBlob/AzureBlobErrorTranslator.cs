using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Azure;
using Azure.Identity;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>What the Azure Blob driver was doing when a request failed, for the message.</summary>
internal enum AzureBlobOperation
{
    List,
    Read,
    Write,
    Stat,
    Delete,
}

/// <summary>
/// Turns what the Azure SDK throws into LonghornBackupException with a stable ErrorId and words a user can act on: no
/// such container, a rejected key or SAS (or a wrong account), access denied, TLS failure, an unreachable service, or
/// a transient fault that outlasted the retries, with the number of attempts really made. Messages name the account,
/// container, key and service, never a secret.
/// </summary>
internal sealed class AzureBlobErrorTranslator
{
    private readonly AzureBlobConnection _connection;

    public AzureBlobErrorTranslator(AzureBlobConnection connection) => _connection = connection;

    private string Where => $"the Azure Blob service {_connection.ServiceUri.GetLeftPart(UriPartial.Path).TrimEnd('/')}";

    private static string Verb(AzureBlobOperation op) => op switch
    {
        AzureBlobOperation.List => "list",
        AzureBlobOperation.Read => "read",
        AzureBlobOperation.Write => "write",
        AzureBlobOperation.Stat => "check",
        _ => "delete",
    };

    /// <summary>A missing blob (not a missing container, which is an error every time).</summary>
    public static bool IsBlobNotFound(RequestFailedException e) => e.Status == 404 && e.ErrorCode is "BlobNotFound" or null or "";

    /// <summary>
    /// A fault worth the whole request again: a 408, 429, 500, 502, 503 or 504 answer, an answer that does not parse,
    /// or a transient transport fault (a reset, a body cut short, a time limit). Not a refused connection or unknown
    /// host, a TLS failure, a failed sign-in, or any other answer of the service.
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        if (Find<RequestFailedException>(e) is { Status: > 0 } r) return IsTransientStatus(r.Status);
        if (Find<AuthenticationFailedException>(e) is not null) return false;
        // An answer the SDK could not parse: cut short or damaged on the way (the service's own errors parse).
        if (Find<System.Xml.XmlException>(e) is not null) return true;
        return Http.TransportFaults.IsTransient(e);
    }

    private static bool IsTransientStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>The failure <paramref name="e"/> of the last of <paramref name="attempts"/> attempts to do <paramref name="op"/> on <paramref name="key"/>.</summary>
    public LonghornBackupException Translate(Exception e, AzureBlobOperation op, string key, int attempts)
    {
        string what = $"{Verb(op)} '{key}' in container '{_connection.Container}'";
        string container = _connection.Container;
        string afterAttempts = Http.RequestRetries.AfterAttempts(attempts);
        if (Find<RequestFailedException>(e) is { Status: > 0 } r)
        {
            string code = r.ErrorCode ?? "";
            string answered = $"{r.Status} {code}".TrimEnd();
            if (code == "ContainerNotFound")
                return new(ErrorIds.BucketNotFound, ErrorKind.NotFound,
                    $"The container '{container}' of account '{_connection.Account}' was not found at {Where} ({answered}). LonghornBackup never creates it.", container,
                    "Create the container (az storage container create), or correct the container in the target URL.", e);
            // A shared key is never "not authorized": a refused one is a wrong key or a key of another account.
            if (code is "AuthenticationFailed" or "InvalidAuthenticationInfo" or "NoAuthenticationInformation" || (r.Status == 403 && code.Length == 0)
                || (code == "AuthorizationFailure" && _connection.Credential.SharedKey is not null))
                return new(ErrorIds.InvalidCredentials, ErrorKind.AuthenticationError,
                    $"{Capital(Where)} rejected the credentials ({_connection.Credential.Source}) when trying to {what}: {answered}. The account key or SAS token is wrong or expired, or it belongs to another account than '{_connection.Account}'.",
                    _connection.Account, "Give the account's current key (-AccountKey, AZBLOB_ACCOUNT_KEY or the credential Secret) or a valid SAS token, and check the account name.", e);
            if (code is "ResourceNotFound" or "AccountNotFound" or "InvalidResourceName" || (r.Status is 400 or 404 && code is "InvalidUri" or "OutOfRangeInput"))
                return new(ErrorIds.BucketNotFound, ErrorKind.NotFound,
                    $"The account '{_connection.Account}' or its container '{container}' was not found at {Where} ({answered}).", container,
                    "Check the account name (AZBLOB_ACCOUNT_NAME, -AccountName), the endpoint and the container in the target URL.", e);
            if (r.Status == 403)
                return new(ErrorIds.AccessDenied, ErrorKind.PermissionDenied,
                    $"Access denied when trying to {what} at {Where} ({answered}): the credentials ({_connection.Credential.Source}) may not do this.", container,
                    "Grant the identity or SAS token read, write, list and delete on the container (e.g. Storage Blob Data Contributor).", e);
            bool transient = IsTransientStatus(r.Status);
            return Failed(op, key, $"Could not {what}: {Where} answered {answered}{(transient ? afterAttempts : "")}: {FirstLine(r.Message)}",
                transient ? "The service is overloaded or failing; try again later. Blocks already uploaded are reused by the next backup." : null, e, transient);
        }
        if (Find<AuthenticationException>(e) is { } tls)
            return new(ErrorIds.TlsFailure, ErrorKind.SecurityError,
                $"The TLS connection to {Where} failed: {tls.Message} {tls.InnerException?.Message}".TrimEnd(), container,
                "If the service uses a private CA, give its certificate with -CACertificatePath (or AZBLOB_CERT); check that the endpoint's host name matches its certificate.", e);
        if (Find<AuthenticationFailedException>(e) is { } identity)
            return new(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"No Azure identity could sign in for account '{_connection.Account}': {FirstLine(identity.Message)}", _connection.Account,
                "Give -AccountKey or a SAS token, reference a credential Secret, or sign in (az login, a managed or workload identity).", e);
        if (Find<SocketException>(e) is { } socket && socket.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
            return Unreachable($"The host name of {Where} could not be resolved ({socket.Message}): the account name or endpoint suffix may be wrong.", e);
        if (Find<SocketException>(e) is { SocketErrorCode: SocketError.ConnectionRefused } refused)
            return Unreachable($"{Capital(Where)} refused the connection ({refused.Message}).", e);
        if (Find<TimeoutException>(e) is not null || e is OperationCanceledException || Find<TaskCanceledException>(e) is not null)
            return Unreachable($"{Capital(Where)} did not answer in time when trying to {what}{afterAttempts}.", e);
        if (Find<HttpRequestException>(e) is { } http)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {http.Message}", e);
        if (Find<WebException>(e) is { } web)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {web.Message}", e);
        if (Find<IOException>(e) is { } io)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {io.Message}", e);
        if (Find<RequestFailedException>(e) is { } transport)
            return Unreachable($"Could not {what}: the connection to {Where} failed{afterAttempts}: {FirstLine(transport.Message)}", e);
        return Failed(op, key, $"Could not {what} at {Where}{(IsTransient(e) ? afterAttempts : "")}: {FirstLine(e.Message)}", null, e);
    }

    private LonghornBackupException Unreachable(string message, Exception e) =>
        new(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable, message, _connection.Container,
            $"Check that {Where} is running and reachable from here (the account, -EndpointUrl or AZBLOB_ENDPOINT, proxies).", e);

    /// <summary>
    /// StoreWriteFailed or StoreReadFailed. One for an answer that kept coming back transient (busy, 5xx) is
    /// ResourceUnavailable, not a write or read error: nothing is wrong with the object, so a deep check must fail
    /// rather than call a block it could not get corrupt, and a listing must not show a backup as unreadable.
    /// </summary>
    private static LonghornBackupException Failed(AzureBlobOperation op, string key, string message, string? action, Exception e, bool transient = false) =>
        op is AzureBlobOperation.Write or AzureBlobOperation.Delete
            ? new(ErrorIds.StoreWriteFailed, transient ? ErrorKind.ResourceUnavailable : ErrorKind.WriteError, message, key, action, e)
            : new(ErrorIds.StoreReadFailed, transient ? ErrorKind.ResourceUnavailable : ErrorKind.ReadError, message, key, action, e);

    // The SDK's messages carry the request's headers on later lines; the first says what happened.
    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(new[] { '\r', '\n' });
        return end < 0 ? message : message[..end];
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (int depth = 0; e is not null && depth < 12; depth++, e = e.InnerException)
        {
            if (e is T match) return match;
            if (e is AggregateException { InnerExceptions.Count: > 0 } agg) return Find<T>(agg.InnerExceptions[^1]);
        }
        return null;
    }
}
