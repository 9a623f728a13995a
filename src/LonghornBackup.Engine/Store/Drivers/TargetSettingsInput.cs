using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// What a driver gets to plan a target's settings: the options given with a BackupTarget manifest (or to
/// Set-LhBackupTarget) and the credential Secret the manifest names, with the reference that will be saved.
/// </summary>
public sealed record TargetSettingsInput
{
    /// <summary>The target's name, for messages.</summary>
    public string Name { get; init; } = "";
    /// <summary>Where the URL came from ("file.yaml, document 1, line 5 (spec.backupTargetURL)"), to prefix messages; null from the command line.</summary>
    public string? UrlLocation { get; init; }
    /// <summary>Where spec.credentialSecret is, for warnings about it.</summary>
    public string? SecretLocation { get; init; }
    public string? EndpointUrl { get; init; }
    public string? Region { get; init; }
    public bool? ForcePathStyle { get; init; }
    /// <summary>An absolute path.</summary>
    public string? CACertificatePath { get; init; }
    /// <summary>The name spec.credentialSecret gives, even when no Secret document was found for it.</summary>
    public string? CredentialSecretName { get; init; }
    public SecretManifest? Secret { get; init; }
    public CredentialSecretReference? SecretReference { get; init; }
}
