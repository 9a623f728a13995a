using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Turns BackupTarget manifests (and the Secrets given with them) plus command-line overrides into target
/// definitions, checking everything before the first one is saved: unique target names, a Secret for every
/// spec.credentialSecret, a usable URL, and settings and Secret values its store driver accepts. A target keeps only
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
        foreach (var option in overrides.GivenOptions)
        {
            if (planned.Any(p => p.Url.Driver.ManifestOptions.Contains(option))) continue;
            var kinds = planned.Select(p => p.Url.Driver).Distinct().ToList();
            string takers = string.Join(" and ", StoreDrivers.All.Where(d => d.ManifestOptions.Contains(option)).Select(d => d.Kind));
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"-{option} applies to {takers} targets only; the manifest sets {(planned.Count == 1 ? $"{KindWords(planned[0].Url.Driver)} target ({planned[0].Url.Canonical})" : $"{string.Join(" and ", kinds.Select(k => KindWords(k).Split(' ')[1]))} targets only")}. Nothing was saved.",
                option);
        }

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

    /// <summary>The URL as the module uses it; an unusable one (nfs://, cifs://, an unknown scheme) keeps its error and gains the location.</summary>
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
            MaxBytesPerSecond = overrides.MaxBytesPerSecond,
            RetentionPolicy = overrides.RetentionPolicy,
        };
        var input = new TargetSettingsInput
        {
            Name = name,
            UrlLocation = t.LocationOf("spec.backupTargetURL").ToString(),
            SecretLocation = t.LocationOf("spec.credentialSecret").ToString(),
            EndpointUrl = overrides.EndpointUrl,
            Region = overrides.Region,
            ForcePathStyle = overrides.ForcePathStyle,
            CACertificatePath = overrides.CACertificatePath,
            CredentialSecretName = t.CredentialSecret,
            Secret = secret?.Secret,
            SecretReference = secret?.Reference,
        };
        var settings = url.Driver.PlanSettings(url, input, warnings);
        return new PlannedTarget(t, url, definition.WithSettings(url.Kind, settings));
    }

    /// <summary>"a folder" for the folder driver, else "an S3", "an AzureBlob" (the kind's name with its article).</summary>
    private static string KindWords(IStoreDriver driver) =>
        driver.Kind == Store.Folder.FolderDriver.KindName ? "a folder" : ("AEIOUaeiou".Contains(driver.Kind[0]) || driver.Kind.StartsWith("S3", StringComparison.Ordinal) ? "an " : "a ") + driver.Kind;
}
