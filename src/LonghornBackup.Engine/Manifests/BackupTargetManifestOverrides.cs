namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Values given to Set-LhBackupTarget next to a BackupTarget manifest. Each one that is set wins: -Name over
/// metadata.name (for a single document), the driver options over what the credential Secret says (AWS_ENDPOINTS,
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
    public long? MaxBytesPerSecond { get; init; }
    public Lifecycle.RetentionRules? RetentionPolicy { get; init; }

    /// <summary>The driver options given, by parameter name (see <see cref="Store.Drivers.IStoreDriver.ManifestOptions"/>), in parameter order.</summary>
    internal IEnumerable<string> GivenOptions
    {
        get
        {
            if (EndpointUrl is not null) yield return nameof(EndpointUrl);
            if (Region is not null) yield return nameof(Region);
            if (ForcePathStyle is not null) yield return nameof(ForcePathStyle);
            if (CACertificatePath is not null) yield return nameof(CACertificatePath);
        }
    }
}
