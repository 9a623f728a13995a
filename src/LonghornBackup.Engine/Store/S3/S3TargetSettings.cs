using System.Text.Json.Serialization;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>Where the credentials of an S3 target come from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CredentialSource>))]
public enum CredentialSource
{
    /// <summary>Looked up at use time: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then AWS_PROFILE, then the SDK's default chain.</summary>
    Default,
    /// <summary>The named AWS credentials profile (<see cref="S3TargetSettings.ProfileName"/>); missing is an error.</summary>
    Profile,
    /// <summary>
    /// A Kubernetes Secret manifest (<see cref="S3TargetSettings.CredentialSecret"/>), read again at every use; a
    /// missing file or Secret is an error, never a fallback.
    /// </summary>
    Secret,
}

/// <summary>The non-secret settings of an S3 target. Every null value is looked up at use time (environment, defaults).</summary>
public sealed record S3TargetSettings
{
    /// <summary>A custom endpoint (MinIO, Ceph RGW, ...), e.g. https://minio.example:9000; null for AWS or AWS_ENDPOINTS.</summary>
    public string? EndpointUrl { get; init; }
    /// <summary>Region used when the URL names none (s3://bucket/prefix/).</summary>
    public string? Region { get; init; }
    /// <summary>true: path-style addressing; false: virtual-hosted; null: path-style exactly when an endpoint is set.</summary>
    public bool? ForcePathStyle { get; init; }
    /// <summary>A PEM bundle of extra trusted CA certificates (a private CA of the store).</summary>
    public string? CACertificatePath { get; init; }
    public CredentialSource CredentialSource { get; init; } = CredentialSource.Default;
    /// <summary>AWS credentials profile name when <see cref="CredentialSource"/> is Profile.</summary>
    public string? ProfileName { get; init; }
    /// <summary>The shared credentials file holding the profile; null for the SDK's default stores.</summary>
    public string? ProfileLocation { get; init; }
    /// <summary>True when Set-LhBackupTarget wrote the profile from keys it was given, so removing the target removes it.</summary>
    public bool ProfileCreatedByModule { get; init; }
    /// <summary>
    /// The Secret manifest that holds the keys (and possibly AWS_ENDPOINTS, AWS_CERT, VIRTUAL_HOSTED_STYLE and
    /// proxies) when <see cref="CredentialSource"/> is Secret: its name and file, never its values.
    /// </summary>
    public CredentialSecretReference? CredentialSecret { get; init; }
}
