namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Values given to Set-LhBackupTarget next to a BackupTarget manifest. Each one that is set wins: -Name over
/// metadata.name (for a single document), the S3 options over what the credential Secret says (AWS_ENDPOINTS,
/// VIRTUAL_HOSTED_STYLE, AWS_CERT), because they are saved as the target's own settings.
/// </summary>
public sealed record BackupTargetManifestOverrides
{
    public string? Name { get; init; }
    public string? EndpointUrl { get; init; }
    public string? Region { get; init; }
    public bool? ForcePathStyle { get; init; }
    /// <summary>An absolute path (the cmdlet resolves it against the PowerShell location).</summary>
    public string? CACertificatePath { get; init; }
    public int? MaxConcurrentUploads { get; init; }

    /// <summary>The first S3-only option given, as its parameter name; null when none is.</summary>
    internal string? FirstS3Option =>
        EndpointUrl is not null ? nameof(EndpointUrl) :
        Region is not null ? nameof(Region) :
        ForcePathStyle is not null ? nameof(ForcePathStyle) :
        CACertificatePath is not null ? nameof(CACertificatePath) : null;
}
