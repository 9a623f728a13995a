namespace LonghornBackup.Engine.Manifests;

/// <summary>Every document of one or more YAML streams, validated, in stream order, with the warnings found.</summary>
public sealed class ManifestSet
{
    internal ManifestSet(IReadOnlyList<BackupManifest> backups, IReadOnlyList<BackupTargetManifest> targets,
        IReadOnlyList<SecretManifest> secrets, IReadOnlyList<ManifestWarning> warnings)
    {
        Backups = backups;
        BackupTargets = targets;
        Secrets = secrets;
        Warnings = warnings;
    }

    public IReadOnlyList<BackupManifest> Backups { get; }
    public IReadOnlyList<BackupTargetManifest> BackupTargets { get; }
    public IReadOnlyList<SecretManifest> Secrets { get; }
    /// <summary>Values kubectl would reject but that read plainly, and unknown fields when relaxed to warnings; each names document, field and line.</summary>
    public IReadOnlyList<ManifestWarning> Warnings { get; }

    /// <summary>The Secret a BackupTarget's spec.credentialSecret names, when the same input holds it; else null.</summary>
    public SecretManifest? CredentialsFor(BackupTargetManifest target) =>
        target.CredentialSecret is null ? null : Secrets.LastOrDefault(s => s.Name == target.CredentialSecret);
}
