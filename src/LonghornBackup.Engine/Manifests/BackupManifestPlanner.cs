using LonghornBackup.Engine.Blocks.Replica;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Turns Backup manifests plus command-line overrides into backups to run, checking everything that can be checked
/// before the first byte is written: the volume (backup-volume label or override), the snapshot, names unique within
/// the input and unused on the target, an image for every snapshot. A manifest whose metadata.name already exists is
/// refused with BackupNameInUse, as Longhorn refuses a second Backup of the same name.
/// </summary>
public static class BackupManifestPlanner
{
    private const string GeneratedSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";   // Kubernetes' generateName alphabet

    public static IReadOnlyList<PlannedBackup> Plan(IReadOnlyList<BackupManifest> manifests, BackupManifestOverrides overrides,
        ICollection<string>? warnings = null)
    {
        // Command-line values apply to every document: check them once, before anything else.
        if (overrides.VolumeName is not null) NameRules.ValidateVolumeNameForWrite(overrides.VolumeName);
        if (overrides.BackupName is not null) NameRules.ValidateBackupNameForWrite(overrides.BackupName);
        if (overrides.Labels is not null) LabelRules.Validate(overrides.Labels);
        if (overrides.BlockSize is int size) BlockSizes.Validate(size);

        var problems = new List<ManifestProblem>();
        var planned = new List<PlannedBackup>();
        var namesSeen = new Dictionary<(string Target, string Volume, string Name), BackupManifest>();
        foreach (var m in manifests)
        {
            string target = overrides.TargetName ?? m.TargetName ?? TargetRegistry.DefaultName;
            string? snapshot = overrides.SnapshotName ?? m.SnapshotName;
            // Read from a replica directory: its name holds the volume, as for -ReplicaPath without a manifest.
            bool fromReplica = overrides.ReplicaPath is not null && !(snapshot is not null && overrides.SnapshotPaths?.ContainsKey(snapshot) == true);
            string? replicaVolume = fromReplica ? ReplicaDirectory.VolumeNameOf(overrides.ReplicaPath!) : null;
            string? volume = overrides.VolumeName ?? m.VolumeName ?? replicaVolume;
            if (volume is null)
                problems.Add(new ManifestProblem(m.LocationOf($"metadata.labels.{BackupManifestValidator.VolumeLabel}"),
                    $"the volume is not named: set metadata.labels.{BackupManifestValidator.VolumeLabel} (as Longhorn does) or give -VolumeName" +
                    (fromReplica ? $" (the replica directory's name '{Path.GetFileName(overrides.ReplicaPath!.TrimEnd('/', '\\'))}' is not <volume>-<8 hex>)." : ".")));
            else if (overrides.VolumeName is null && !IsValidVolumeName(volume, out string why))
                problems.Add(new ManifestProblem(m.LocationOf($"metadata.labels.{BackupManifestValidator.VolumeLabel}"), why));

            if (snapshot is null)
                problems.Add(new ManifestProblem(m.LocationOf("spec.snapshotName"),
                    "spec.snapshotName is missing: name the snapshot to back up (or give -SnapshotName)."));

            string? name = overrides.BackupName ?? m.Name ?? (m.GenerateName is null ? null : m.GenerateName + RandomSuffix());
            if (name is not null && volume is not null)
            {
                if (namesSeen.TryGetValue((target, volume, name), out var first))
                    problems.Add(new ManifestProblem(m.LocationOf("metadata.name"),
                        $"the backup name '{name}' is already used by document {first.Location.Document} of {first.Location.Source} for the same volume; backup names are unique per volume."));
                else namesSeen[(target, volume, name)] = m;
            }
            if (volume is null || snapshot is null) continue;

            var labels = m.Labels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            foreach (var (k, v) in overrides.Labels ?? new Dictionary<string, string>()) labels[k] = v;
            planned.Add(new PlannedBackup(m, target, volume, snapshot, name,
                overrides.Mode ?? m.Mode ?? BackupMode.Incremental, labels, overrides.BlockSize ?? m.BlockSize, ""));
        }
        if (problems.Count > 0) throw new InvalidManifestException(problems);

        var result = planned.Select(p => WithSource(p, overrides)).ToList();
        foreach (var key in overrides.SnapshotPaths?.Keys ?? Enumerable.Empty<string>())
            if (!result.Any(p => p.SnapshotName == key))
                warnings?.Add($"The snapshot path given for '{key}' is not used: no document backs up a snapshot of that name.");
        return result;
    }

    /// <summary>
    /// Refuses a plan whose backup names already exist on their targets (BackupNameInUse), before anything is written.
    /// </summary>
    public static async Task EnsureNamesAreFreeAsync(IEnumerable<PlannedBackup> plan, Func<string, Backupstore> storeOf, CancellationToken ct)
    {
        foreach (var p in plan)
        {
            if (p.BackupName is null) continue;
            var store = storeOf(p.TargetName);
            if (await store.Store.StatAsync(StorePaths.BackupConfig(p.VolumeName, p.BackupName), ct).ConfigureAwait(false) is null) continue;
            throw new LonghornBackupException(ErrorIds.BackupNameInUse, ErrorKind.AlreadyExists,
                $"A backup named '{p.BackupName}' already exists in volume '{p.VolumeName}' on target '{p.TargetName}' " +
                $"({p.Manifest.LocationOf("metadata.name")}). Longhorn refuses a second Backup of the same name too; nothing was written.",
                p.BackupName,
                "Give the manifest another metadata.name, or pass -Name <new name> (the command line overrides the manifest).");
        }
    }

    private static PlannedBackup WithSource(PlannedBackup p, BackupManifestOverrides overrides)
    {
        if (overrides.SnapshotPaths is not null && overrides.SnapshotPaths.TryGetValue(p.SnapshotName, out var mapped)) return p with { DataPath = mapped };
        if (overrides.ReplicaPath is not null) return p with { ReplicaPath = overrides.ReplicaPath };
        if (overrides.DataPath is not null) return p with { DataPath = overrides.DataPath };
        throw new LonghornBackupException(ErrorIds.SnapshotPathMissing, ErrorKind.InvalidArgument,
            $"No image is given for snapshot '{p.SnapshotName}' ({p.Manifest.LocationOf("spec.snapshotName")}); nothing was written.",
            p.SnapshotName,
            $"Give -Path <image>, -ReplicaPath <replica directory>, or -SnapshotPath @{{ '{p.SnapshotName}' = '<image>' }} for each snapshot of the manifest.");
    }

    private static bool IsValidVolumeName(string volume, out string why)
    {
        try
        {
            NameRules.ValidateVolumeNameForWrite(volume);
            why = "";
            return true;
        }
        catch (LonghornBackupException e)
        {
            why = e.Message;
            return false;
        }
    }

    private static string RandomSuffix() =>
        string.Create(5, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
                span[i] = GeneratedSuffixAlphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(GeneratedSuffixAlphabet.Length)];
        });
}
