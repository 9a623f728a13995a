using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// A validated Longhorn Backup custom resource (longhorn.io/v1beta2, kind Backup), as a neutral record. Fields the
/// manifest leaves out are null; <see cref="BackupManifestPlanner"/> fills them from command-line values.
/// </summary>
public sealed record BackupManifest
{
    /// <summary>The document (its first line).</summary>
    public required ManifestLocation Location { get; init; }
    /// <summary>metadata.name: the backup name.</summary>
    public string? Name { get; init; }
    /// <summary>metadata.generateName: a prefix to which a random suffix is added when there is no name.</summary>
    public string? GenerateName { get; init; }
    public string? Namespace { get; init; }
    /// <summary>metadata.labels["backup-volume"], where Longhorn names the volume.</summary>
    public string? VolumeName { get; init; }
    /// <summary>metadata.labels["backup-target"], where Longhorn names the backup target.</summary>
    public string? TargetName { get; init; }
    public string? SnapshotName { get; init; }
    /// <summary>spec.backupMode; null when absent or empty (Longhorn then backs up incrementally).</summary>
    public BackupMode? Mode { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>spec.backupBlockSize in bytes; null when absent, empty or "0" (the volume's size, else 2 MiB).</summary>
    public int? BlockSize { get; init; }
    /// <summary>Line of each field given, by path (e.g. "spec.snapshotName").</summary>
    public IReadOnlyDictionary<string, int> FieldLines { get; init; } = new Dictionary<string, int>();

    /// <summary>The location of a field; the line of its nearest given parent, or the document's, when absent.</summary>
    public ManifestLocation LocationOf(string fieldPath)
    {
        for (string path = fieldPath; path.Length > 0; path = path.Contains('.') ? path[..path.LastIndexOf('.')] : "")
            if (FieldLines.TryGetValue(path, out int line)) return Location with { FieldPath = fieldPath, Line = line };
        return Location with { FieldPath = fieldPath };
    }
}
