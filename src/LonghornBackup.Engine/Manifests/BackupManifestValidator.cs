using System.Globalization;
using LonghornBackup.Engine.Format;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Validates a Backup document against Longhorn's CRD (docs/backupstore-format.md §8.1): metadata.name by the backupstore name rule (it
/// becomes the backup name), spec.snapshotName, spec.backupMode (full, incremental or empty), spec.labels by Kubernetes
/// label rules, spec.backupBlockSize ("2097152" or "16777216"). status is what Longhorn observed and is ignored.
/// </summary>
internal static class BackupManifestValidator
{
    public const string Kind = "Backup";
    public const string VolumeLabel = "backup-volume";
    public const string TargetLabel = "backup-target";

    private static readonly HashSet<string> KnownSpec = new(StringComparer.Ordinal)
    {
        "snapshotName", "labels", "backupMode", "backupBlockSize", "syncRequestedAt",
    };

    public static BackupManifest? Validate(DocumentValidation v, ManifestHeader header)
    {
        int before = v.ProblemCount;
        // A wrong apiVersion is a problem, but the rest is still checked so every problem is reported at once.
        header.Expect(v, ManifestHeader.LonghornApiVersion);
        v.CheckUnknownFields(header.Root, "", ManifestHeader.CustomResourceFields, "Longhorn's Backup");

        if (header.Name is not null && (!NameRules.IsValidStoreName(header.Name) || header.Name.Length > NameRules.MaxBackupNameLength))
            v.Problem("metadata.name", null,
                $"'{header.Name}' is not a valid backup name: use 2 to {NameRules.MaxBackupNameLength} letters, digits, '_', '.' and '-', starting with a letter or digit.");
        // The planner appends 5 random characters to generateName.
        if (header.Name is null && header.GenerateName is not null &&
            (!NameRules.IsValidStoreName(header.GenerateName + "x") || header.GenerateName.Length + 5 > NameRules.MaxBackupNameLength))
            v.Problem("metadata.generateName", null,
                $"'{header.GenerateName}' is not a valid backup name prefix: use letters, digits, '_', '.' and '-', starting with a letter or digit.");

        string? snapshot = null;
        BackupMode? mode = null;
        int? blockSize = null;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var spec = v.Mapping(v.Field(header.Root, "", "spec"), "spec", "backup settings (snapshotName, backupMode, labels)");
        if (spec is not null)
        {
            snapshot = ReadSnapshotName(v, spec);
            mode = ReadMode(v, spec);
            blockSize = ReadBlockSize(v, spec);
            foreach (var (key, value, keyNode, valueNode) in v.StringMap(v.Field(spec, "spec", "labels"), "spec.labels", "label names to values") ?? new())
                if (ManifestHeader.CheckLabel(v, "spec.labels", key, value, keyNode, valueNode)) labels[key] = value;
            v.CheckUnknownFields(spec, "spec", KnownSpec, "Longhorn's Backup");
        }
        if (v.ProblemCount > before) return null;

        return new BackupManifest
        {
            Location = v.At("", null),
            Name = header.Name,
            GenerateName = header.GenerateName,
            Namespace = header.Namespace,
            VolumeName = header.Labels.GetValueOrDefault(VolumeLabel),
            TargetName = header.Labels.GetValueOrDefault(TargetLabel),
            SnapshotName = snapshot,
            Mode = mode,
            Labels = labels,
            BlockSize = blockSize,
            FieldLines = new Dictionary<string, int>(v.FieldLines, StringComparer.Ordinal),
        };
    }

    private static string? ReadSnapshotName(DocumentValidation v, YamlMappingNode spec)
    {
        var node = v.Field(spec, "spec", "snapshotName");
        string? name = v.Scalar(node, "spec.snapshotName");
        if (name is not null && (string.IsNullOrWhiteSpace(name) || name.Length > 253 || name.Any(char.IsControl)))
        {
            v.Problem("spec.snapshotName", node, $"'{name}' is not a valid snapshot name: give a non-empty name of at most 253 printable characters.");
            return null;
        }
        return name;
    }

    private static BackupMode? ReadMode(DocumentValidation v, YamlMappingNode spec)
    {
        var node = v.Field(spec, "spec", "backupMode");
        string? raw = v.Scalar(node, "spec.backupMode");
        switch (raw)
        {
            case null or "": return null;
            case "full": return BackupMode.Full;
            case "incremental": return BackupMode.Incremental;
            default:
                v.Problem("spec.backupMode", node,
                    $"'{raw}' is not a backup mode: use full, incremental, or leave it empty (incremental)." +
                    (raw.Equals("full", StringComparison.OrdinalIgnoreCase) || raw.Equals("incremental", StringComparison.OrdinalIgnoreCase)
                        ? " Longhorn's CRD takes the lower-case words only." : ""));
                return null;
        }
    }

    /// <summary>
    /// The CRD declares an int64 serialized as a string with the values "-1", "2097152" and "16777216". A new backup
    /// can use the two sizes ("2Mi"/"16Mi" are read too); "-1" only marks backups pulled with a size Longhorn cannot use.
    /// </summary>
    private static int? ReadBlockSize(DocumentValidation v, YamlMappingNode spec)
    {
        var node = v.Field(spec, "spec", "backupBlockSize");
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && s.Tag.IsEmpty &&
            ScalarTypes.Resolve(s.Value ?? "") == ScalarType.Int)
        {
            v.Warn("spec.backupBlockSize", node,
                $"spec.backupBlockSize is an integer in YAML, but Longhorn's CRD wants a string: quote it (\"{s.Value}\"), or kubectl will reject the manifest.");
        }
        string? raw = v.Scalar(node, "spec.backupBlockSize", crdWantsString: false)?.Trim();
        if (raw is null or "" or "0") return null;
        long? bytes = null;
        try { bytes = BlockSizes.ParseQuantity(raw); } catch (OverflowException) { }
        if (bytes is BlockSizes.Default or BlockSizes.Large) return (int)bytes.Value;
        v.Problem("spec.backupBlockSize", node, raw == "-1"
            ? "backupBlockSize '-1' marks a backup Longhorn pulled with an unusable block size; a new backup takes \"2097152\" (2 MiB) or \"16777216\" (16 MiB)."
            : $"'{raw}' is not a backup block size: use \"2097152\" (2 MiB) or \"16777216\" (16 MiB, Longhorn 1.10 and later), or leave it out.");
        return null;
    }
}
