using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Turns BackupTarget manifests (and the Secrets given with them) plus command-line overrides into target
/// definitions, checking everything before the first one is saved: unique target names, a Secret for every
/// spec.credentialSecret, a usable URL, an existing folder, valid S3 settings and Secret values. A target keeps only
/// a reference to its Secret: the Secret's name and the absolute path of the file it came from, read again at use.
/// </summary>
public static class BackupTargetManifestPlanner
{
    /// <param name="set">The parsed input (BackupTarget and Secret documents).</param>
    /// <param name="sources">The streams parsed, to find the file each Secret came from.</param>
    /// <param name="resolvePath">Resolves a plain relative path in spec.backupTargetURL (against the PowerShell location).</param>
    /// <param name="warnings">Receives notes about values that are not used.</param>
    public static IReadOnlyList<PlannedTarget> Plan(ManifestSet set, IReadOnlyList<ManifestSource> sources, BackupTargetManifestOverrides overrides,
        Func<string, string> resolvePath, ICollection<string>? warnings = null)
    {
        if (overrides.Name is not null) TargetRegistry.ValidateName(overrides.Name);
        var targets = set.BackupTargets;
        if (targets.Count == 0)
        {
            string what = sources.Count == 1 ? sources[0].Name : $"{sources.Count} inputs";
            throw new InvalidManifestException(new[]
            {
                new ManifestProblem(new ManifestLocation(what, 0, null, "", 0),
                    $"the input holds no {BackupTargetManifestValidator.Kind} document: give a manifest with kind {BackupTargetManifestValidator.Kind} and spec.backupTargetURL (Secrets alone set no target)."),
            });
        }
        if (overrides.Name is not null && targets.Count > 1)
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"-Name sets one target, but the input holds {targets.Count} {BackupTargetManifestValidator.Kind} documents ({string.Join(", ", targets.Select(t => $"'{t.Name}'"))}); nothing was saved.",
                "Name", "Leave out -Name (each document's metadata.name names its target), or apply a file with one BackupTarget.");

        var references = FindSecrets(set, sources, overrides);
        var planned = targets.Select(t => (Manifest: t, Url: ParseUrl(t, resolvePath))).ToList();
        if (overrides.FirstS3Option is { } s3Option && planned.All(p => p.Url.Kind != TargetKind.S3))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"-{s3Option} applies to S3 targets only; the manifest sets {(planned.Count == 1 ? $"a folder target ({planned[0].Url.Canonical})" : "folder targets only")}. Nothing was saved.",
                s3Option);

        return planned.Select(p => Settle(p.Manifest, p.Url, references.TryGetValue(p.Manifest, out var secret) ? secret : null, overrides, warnings))
            .ToList();
    }

    /// <summary>The Secret and its file for every target that names one; every missing one is a problem, all reported at once.</summary>
    private static Dictionary<BackupTargetManifest, (SecretManifest Secret, CredentialSecretReference Reference)> FindSecrets(
        ManifestSet set, IReadOnlyList<ManifestSource> sources, BackupTargetManifestOverrides overrides)
    {
        var problems = new List<ManifestProblem>();
        var found = new Dictionary<BackupTargetManifest, (SecretManifest, CredentialSecretReference)>(ReferenceEqualityComparer.Instance);
        var names = new Dictionary<string, BackupTargetManifest>(StringComparer.Ordinal);
        foreach (var t in set.BackupTargets)
        {
            string name = overrides.Name ?? t.Name;
            if (names.TryGetValue(name, out var first))
                problems.Add(new ManifestProblem(t.LocationOf("metadata.name"),
                    $"the target name '{name}' is already set by document {first.Location.Document} of {first.Location.Source}; each BackupTarget needs its own metadata.name."));
            else names[name] = t;

            if (t.CredentialSecret is not { } secretName) continue;
            var secret = set.CredentialsFor(t);
            if (secret is null)
            {
                problems.Add(new ManifestProblem(t.LocationOf("spec.credentialSecret"),
                    $"the Secret '{secretName}' is not in the input: give the file that holds it with -SecretManifest, or put the Secret (apiVersion v1, kind Secret) in the same file."));
                continue;
            }
            string? file = sources.FirstOrDefault(s => s.Name == secret.Location.Source)?.FilePath;
            if (file is null)
            {
                problems.Add(new ManifestProblem(t.LocationOf("spec.credentialSecret"),
                    $"the Secret '{secretName}' comes from {secret.Location.Source}, which cannot be read again when the target is used: save the Secret to a file and give it with -SecretManifest."));
                continue;
            }
            found[t] = (secret, new CredentialSecretReference(secret.Name, file));
        }
        if (problems.Count > 0) throw new InvalidManifestException(problems);
        return found;
    }

    /// <summary>The URL as the module uses it; an unusable one (nfs://, cifs://, azblob://) keeps its error and gains the location.</summary>
    private static TargetUrl ParseUrl(BackupTargetManifest t, Func<string, string> resolvePath)
    {
        string url = t.BackupTargetUrl;
        try
        {
            return TargetUrl.Parse(url.Contains("://", StringComparison.Ordinal) ? url : resolvePath(url));
        }
        catch (LonghornBackupException e)
        {
            throw new LonghornBackupException(e.ErrorId, e.Kind, $"{t.LocationOf("spec.backupTargetURL")}: {e.Message} Nothing was saved.",
                e.TargetObject, e.RecommendedAction, e);
        }
    }

    private static PlannedTarget Settle(BackupTargetManifest t, TargetUrl url, (SecretManifest Secret, CredentialSecretReference Reference)? secret,
        BackupTargetManifestOverrides overrides, ICollection<string>? warnings)
    {
        string name = overrides.Name ?? t.Name;
        var definition = new BackupTargetDefinition(name, url.Canonical, DateTimeOffset.UtcNow)
        {
            PollInterval = t.PollInterval,
            MaxConcurrentUploads = overrides.MaxConcurrentUploads,
        };
        if (url.Kind != TargetKind.S3)
        {
            if (!Directory.Exists(url.LocalPath))
                throw new LonghornBackupException(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable,
                    $"{t.LocationOf("spec.backupTargetURL")}: the backup target folder '{url.LocalPath}' does not exist. Nothing was saved.", url.Canonical,
                    "Create the folder (New-Item -ItemType Directory) or mount the export there first.");
            if (t.CredentialSecret is { } unused)
                warnings?.Add($"{t.LocationOf("spec.credentialSecret")}: a folder target takes no credentials; the Secret '{unused}' is not used for target '{name}'.");
            return new PlannedTarget(t, url, definition);
        }

        var settings = new S3TargetSettings
        {
            EndpointUrl = overrides.EndpointUrl,
            Region = overrides.Region,
            ForcePathStyle = overrides.ForcePathStyle,
            CACertificatePath = overrides.CACertificatePath,
            CredentialSource = secret is null ? CredentialSource.Default : CredentialSource.Secret,
            CredentialSecret = secret?.Reference,
        };
        S3Settings.Validate(settings);
        if (secret is { } s) S3Settings.ValidateSecret(s.Secret, s.Reference);
        if (url.Region is not null && settings.Region is not null && url.Region != settings.Region)
            warnings?.Add($"Target '{name}': the URL names region '{url.Region}'; -Region '{settings.Region}' is ignored.");
        return new PlannedTarget(t, url, definition with { S3 = settings });
    }
}
