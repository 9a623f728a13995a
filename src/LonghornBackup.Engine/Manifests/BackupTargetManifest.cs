namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// A validated Longhorn BackupTarget custom resource (longhorn.io/v1beta2, kind BackupTarget; docs/backupstore-format.md §8.2). The credential
/// secret is a reference by name only: the values live in a Secret manifest, never in this record.
/// </summary>
public sealed record BackupTargetManifest
{
    public required ManifestLocation Location { get; init; }
    /// <summary>metadata.name: the target's name (Longhorn's default target is "default").</summary>
    public required string Name { get; init; }
    public string? Namespace { get; init; }
    /// <summary>spec.backupTargetURL as written (s3://bucket@region/path/, nfs://..., vfs:///path, or a path).</summary>
    public required string BackupTargetUrl { get; init; }
    /// <summary>spec.credentialSecret: the name of the Kubernetes Secret holding the credentials; null when none.</summary>
    public string? CredentialSecret { get; init; }
    /// <summary>spec.pollInterval; null when absent (Longhorn's default is 5m0s).</summary>
    public TimeSpan? PollInterval { get; init; }
    /// <summary>Line of each field given, by path (e.g. "spec.credentialSecret").</summary>
    public IReadOnlyDictionary<string, int> FieldLines { get; init; } = new Dictionary<string, int>();

    /// <summary>The location of a field; the line of its nearest given parent, or the document's, when absent.</summary>
    public ManifestLocation LocationOf(string fieldPath)
    {
        for (string path = fieldPath; path.Length > 0; path = path.Contains('.') ? path[..path.LastIndexOf('.')] : "")
            if (FieldLines.TryGetValue(path, out int line)) return Location with { FieldPath = fieldPath, Line = line };
        return Location with { FieldPath = fieldPath };
    }
}
