using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>Checks an S3 target's settings before they are saved, so a bad value is refused and nothing is changed.</summary>
public static class S3Settings
{
    public static void Validate(S3TargetSettings settings)
    {
        if (settings.EndpointUrl is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    "-EndpointUrl must be an http:// or https:// URL without credentials or query, such as https://minio.example:9000.", "EndpointUrl",
                    "Give the S3 service's base URL; the bucket goes in the target URL, the keys in -AccessKey/-SecretKey.");
        }
        if (settings.Region is { } region && !S3UrlParser.IsRegionName(region))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"'{region}' is not a region name: use lower-case letters, digits and '-', as in us-east-1.", region);
        if (settings.CACertificatePath is { } ca)
            Http.CaCertificates.LoadFile(ca, "-CACertificatePath");
        if (settings.CredentialSource == CredentialSource.Profile && string.IsNullOrWhiteSpace(settings.ProfileName))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument, "A profile name is needed.", null);
        bool secretNamed = !string.IsNullOrWhiteSpace(settings.CredentialSecret?.Name);
        if ((settings.CredentialSource == CredentialSource.Secret && !secretNamed)
            || (settings.CredentialSecret is { } reference && !Path.IsPathFullyQualified(reference.File)))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                "A credential Secret is referenced by its name and the absolute path of its file.", null);
    }

    /// <summary>
    /// Checks the Secret an S3 target will reference: keys (or an IAM role), and AWS_ENDPOINTS, AWS_CERT and proxies as
    /// a command will read them. Messages name the Secret and its file, never a value.
    /// </summary>
    public static void ValidateSecret(SecretManifest secret, CredentialSecretReference reference) =>
        S3Connection.CheckSecret(secret, reference);
}
