namespace LonghornBackup;

/// <summary>A named backup target as set by Set-LhBackupTarget. Holds no secrets: S3 credentials are a reference.</summary>
public sealed class BackupTarget : BackupTargetDetails
{
    public string Name { get; init; } = "";
    public string Url { get; init; } = "";
    /// <summary>"FileSystem", "S3", "AzureBlob", "NFS" or "CIFS".</summary>
    public string Kind { get; init; } = "";
    /// <summary>
    /// Whether the target can be reached now: its folder exists, or (S3) its bucket answered one listing request
    /// within a few seconds. Test-LhBackupTarget says why not.
    /// </summary>
    public bool Available { get; init; }
    public DateTime SetAt { get; init; }
    /// <summary>The per-user settings file the target is kept in.</summary>
    public string ConfigPath { get; init; } = "";
    /// <summary>S3: the custom endpoint, or null for AWS (or AWS_ENDPOINTS at use time).</summary>
    public string? EndpointUrl { get; init; }
    /// <summary>S3: the region from the URL or -Region; null when it is looked up at use time (AWS_REGION, else us-east-1).</summary>
    public string? Region { get; init; }
    /// <summary>S3: true path-style, false virtual-hosted, null path-style exactly when an endpoint is set.</summary>
    public bool? ForcePathStyle { get; init; }
    public string? CACertificatePath { get; init; }
    /// <summary>
    /// S3: "Profile" (a named AWS credentials profile), "Secret" (a Kubernetes Secret manifest, read at each use) or
    /// "Default" (environment, then the AWS SDK's default chain).
    /// </summary>
    public string? CredentialSource { get; init; }
    public string? ProfileName { get; init; }
    /// <summary>The shared credentials file holding the profile; null for the AWS SDK's default stores.</summary>
    public string? ProfileLocation { get; init; }
    /// <summary>Longhorn's spec.credentialSecret: the name of the Secret holding the credentials; null when none.</summary>
    public string? CredentialSecret { get; init; }
    /// <summary>The Secret manifest file the credentials are read from at each use (only this path is kept, never a value).</summary>
    public string? CredentialSecretFile { get; init; }
    /// <summary>Longhorn's spec.pollInterval as applied from a manifest; null when none was given (Longhorn's default is 5 minutes).</summary>
    public TimeSpan? PollInterval { get; init; }
    /// <summary>Blocks a backup uploads at once; null: 8 for S3, one per core for folders.</summary>
    public int? MaxConcurrentUploads { get; init; }
    /// <summary>The target's bandwidth limit in bytes per second (Set-LhBackupTarget -MaxBytesPerSecond); null: none.</summary>
    public long? MaxBytesPerSecond { get; init; }
    /// <summary>The retention policy kept with the target (Set-LhBackupTarget -RetentionPolicy; Remove-LhBackup -UseTargetPolicy applies it); null: none.</summary>
    public Engine.Lifecycle.RetentionRules? RetentionPolicy { get; init; }

    public override string ToString() => Url;
}
