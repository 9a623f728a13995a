using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>Credentials for an S3 target and a description of their source that names no secret.</summary>
internal sealed record ResolvedCredentials(AWSCredentials Credentials, string Source, string? ProfileRegion);

/// <summary>
/// Finds an S3 target's credentials at use time, in AWS Tools for PowerShell's order. Keys given to
/// Set-LhBackupTarget (-AccessKey/-SecretKey or -Credential) were stored as an AWS profile, so a target either names
/// a profile, which must exist (a missing named profile is an error, never a fallback), or references a Kubernetes
/// Secret manifest whose AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+AWS_SESSION_TOKEN) are its explicit keys (a Secret
/// without keys must name AWS_IAM_ROLE_ARN, as Longhorn requires, and then the ambient credentials below are used),
/// or takes them from the environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+AWS_SESSION_TOKEN), then
/// AWS_PROFILE, then the SDK's default chain (the "default" profile, web identity, container and instance credentials).
/// </summary>
internal static class S3CredentialResolver
{
    public static ResolvedCredentials Resolve(S3TargetSettings? settings, StoreOpenOptions options) =>
        Resolve(settings, S3Variables.For(settings, options), options);

    public static ResolvedCredentials Resolve(S3TargetSettings? settings, S3Variables variables, StoreOpenOptions options)
    {
        if (settings is { CredentialSource: CredentialSource.Profile })
        {
            if (string.IsNullOrWhiteSpace(settings.ProfileName))
                throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                    "The S3 target names the credentials source 'Profile' but no profile name.", null,
                    "Set the target again with -ProfileName, -AccessKey/-SecretKey or -Credential.");
            // The SDK does not always honour AWS_SHARED_CREDENTIALS_FILE for a default location: pass it on explicitly.
            return FromProfile(settings.ProfileName, settings.ProfileLocation ?? options.GetEnvironment("AWS_SHARED_CREDENTIALS_FILE"), "the target's credentials source");
        }

        string note = "";
        if (variables.Secret is { } reference)
        {
            if (FromSecret(variables, reference) is { } explicitKeys) return explicitKeys;
            note = $", as {reference} names an IAM role ({CredentialKeys.AwsIamRoleArn}) and no keys";
        }

        string? accessKey = options.GetEnvironment("AWS_ACCESS_KEY_ID");
        string? secretKey = options.GetEnvironment("AWS_SECRET_ACCESS_KEY");
        string? token = options.GetEnvironment("AWS_SESSION_TOKEN");
        if (accessKey is not null && secretKey is not null)
        {
            var credentials = token is null ? (AWSCredentials)new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token);
            return new ResolvedCredentials(credentials,
                $"the environment variables AWS_ACCESS_KEY_ID ({MaskedKeyId(accessKey)}) and AWS_SECRET_ACCESS_KEY{(token is null ? "" : " with AWS_SESSION_TOKEN")}{note}", null);
        }
        if (accessKey is not null || secretKey is not null)
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"The environment variable {(accessKey is null ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")} is set but {(accessKey is null ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY")} is not.", null,
                "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither.");

        if (options.GetEnvironment("AWS_PROFILE") is { } envProfile)
            return FromProfile(envProfile, options.GetEnvironment("AWS_SHARED_CREDENTIALS_FILE"), "named by AWS_PROFILE" + note);

        try
        {
            var credentials = DefaultAWSCredentialsIdentityResolver.GetCredentials(null);
            return new ResolvedCredentials(credentials, $"the AWS SDK's default chain ({credentials.GetType().Name}){note}", null);
        }
        catch (AmazonClientException e)
        {
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                "No AWS credentials were found for the S3 target: the target names none, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and the AWS SDK's default chain found nothing.",
                null, "Give the keys with Set-LhBackupTarget -AccessKey/-SecretKey or -Credential, name an AWS profile with -ProfileName, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.", e);
        }
    }

    /// <summary>
    /// The Secret's keys as explicit credentials; null when it has none but names an IAM role (the ambient
    /// credentials are then the role's). Half a key pair, or neither keys nor a role, is CredentialsNotFound.
    /// </summary>
    internal static ResolvedCredentials? FromSecret(S3Variables variables, CredentialSecretReference reference)
    {
        string? accessKey = variables.FromSecret(CredentialKeys.AwsAccessKeyId);
        string? secretKey = variables.FromSecret(CredentialKeys.AwsSecretAccessKey);
        string? token = variables.FromSecret(CredentialKeys.AwsSessionToken);
        if (accessKey is not null && secretKey is not null)
        {
            var credentials = token is null ? (AWSCredentials)new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token);
            return new ResolvedCredentials(credentials,
                $"{reference} ({CredentialKeys.AwsAccessKeyId} {MaskedKeyId(accessKey)}, {CredentialKeys.AwsSecretAccessKey}{(token is null ? "" : $", {CredentialKeys.AwsSessionToken}")})", null);
        }
        if (accessKey is not null || secretKey is not null)
            throw CredentialSecretFile.NotFound(reference,
                $"The credentials of this target are {reference}, which has {(accessKey is null ? CredentialKeys.AwsSecretAccessKey : CredentialKeys.AwsAccessKeyId)} " +
                $"but no {(accessKey is null ? CredentialKeys.AwsAccessKeyId : CredentialKeys.AwsSecretAccessKey)}.");
        if (variables.FromSecret(CredentialKeys.AwsIamRoleArn) is not null) return null;
        throw CredentialSecretFile.NotFound(reference,
            $"The credentials of this target are {reference}, which holds neither {CredentialKeys.AwsAccessKeyId} and " +
            $"{CredentialKeys.AwsSecretAccessKey} nor {CredentialKeys.AwsIamRoleArn}.");
    }

    private static ResolvedCredentials FromProfile(string name, string? location, string whose)
    {
        var chain = new CredentialProfileStoreChain(location);
        string where = location is null ? "the AWS credential stores" : $"'{location}'";
        if (!chain.TryGetProfile(name, out var profile))
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"The AWS credentials profile '{name}' ({whose}) was not found in {where}.", name,
                "Create the profile (e.g. Set-AWSCredential -StoreAs, aws configure --profile), or set the target again with -AccessKey/-SecretKey, -Credential or another -ProfileName.");
        AWSCredentials credentials;
        try
        {
            if (!chain.TryGetAWSCredentials(name, out credentials))
                throw new AmazonClientException("no credentials in the profile");
        }
        catch (AmazonClientException e)
        {
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"The AWS credentials profile '{name}' in {where} holds no usable credentials.", name,
                "Give the profile an aws_access_key_id and aws_secret_access_key (or a role it can assume).", e);
        }
        string keyId = profile.Options.AccessKey is { Length: > 0 } ak ? $", access key {MaskedKeyId(ak)}" : "";
        string found = profile.CredentialProfileStore is SharedCredentialsFile file ? $"'{file.FilePath}'"
            : profile.CredentialProfileStore is NetSDKCredentialsFile ? "the .NET SDK's encrypted credential store" : where;
        return new ResolvedCredentials(credentials, $"the AWS profile '{name}' ({whose}) in {found}{keyId}", profile.Region?.SystemName);
    }

    /// <summary>An access key id shortened to its last four characters: enough to tell keys apart in a log.</summary>
    internal static string MaskedKeyId(string accessKey) =>
        accessKey.Length <= 4 ? "****" : "****" + accessKey[^4..];
}
