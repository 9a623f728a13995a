namespace LonghornBackup.Engine.Manifests;

/// <summary>The credential Secret keys Longhorn's backup target drivers read (docs/backupstore-format.md §7.4).</summary>
public static class CredentialKeys
{
    public const string AwsAccessKeyId = "AWS_ACCESS_KEY_ID";
    public const string AwsSecretAccessKey = "AWS_SECRET_ACCESS_KEY";
    /// <summary>The session token of temporary keys; read with the keys as the AWS SDKs read it.</summary>
    public const string AwsSessionToken = "AWS_SESSION_TOKEN";
    public const string AwsEndpoints = "AWS_ENDPOINTS";
    public const string AwsCert = "AWS_CERT";
    public const string AwsIamRoleArn = "AWS_IAM_ROLE_ARN";
    public const string VirtualHostedStyle = "VIRTUAL_HOSTED_STYLE";
    public const string AwsSignAcceptEncoding = "AWS_SIGN_ACCEPT_ENCODING";
    public const string HttpProxy = "HTTP_PROXY";
    public const string HttpsProxy = "HTTPS_PROXY";
    public const string NoProxy = "NO_PROXY";

    public static readonly IReadOnlyCollection<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        AwsAccessKeyId, AwsSecretAccessKey, AwsSessionToken, AwsEndpoints, AwsCert, AwsIamRoleArn, VirtualHostedStyle, AwsSignAcceptEncoding,
        HttpProxy, HttpsProxy, NoProxy,
        "CIFS_USERNAME", "CIFS_PASSWORD",
        "AZBLOB_ACCOUNT_NAME", "AZBLOB_ACCOUNT_KEY", "AZBLOB_ENDPOINT", "AZBLOB_CERT",
        "AZBLOB_SAS_TOKEN",   // not Longhorn's: the module's own Secret file holds a -SasToken under it
    };

    /// <summary>Keys whose value is "true" or "false".</summary>
    public static readonly IReadOnlyCollection<string> Booleans = new HashSet<string>(StringComparer.Ordinal) { VirtualHostedStyle, AwsSignAcceptEncoding };
}
