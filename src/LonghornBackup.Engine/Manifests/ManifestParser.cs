namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Reads and validates Longhorn manifests: YAML streams of Backup, BackupTarget and Secret documents. Every document
/// is checked before the caller applies any, so an invalid one stops the whole input (InvalidManifestException,
/// listing every problem with its document, field and line). Unknown fields are warnings, not failures.
/// </summary>
public static class ManifestParser
{
    public static ManifestSet Parse(string text, string sourceName, ManifestKinds accepted) =>
        Parse(new[] { new ManifestSource(sourceName, text) }, accepted);

    public static ManifestSet Parse(IEnumerable<ManifestSource> sources, ManifestKinds accepted) =>
        Parse(sources, _ => accepted);

    /// <summary>
    /// Reads several streams that each take their own kinds (Set-LhBackupTarget: BackupTarget and Secret documents
    /// from -Manifest, only Secrets from -SecretManifest). References between documents are checked across all.
    /// </summary>
    public static ManifestSet Parse(IEnumerable<ManifestSource> sources, Func<ManifestSource, ManifestKinds> acceptedBy)
    {
        var list = sources.ToList();
        var acceptedIn = new Dictionary<string, ManifestKinds>(StringComparer.Ordinal);
        foreach (var source in list) acceptedIn.TryAdd(source.Name, acceptedBy(source));
        var documents = YamlDocumentReader.Read(list).ToList();
        var problems = new List<ManifestProblem>();
        var warnings = new List<ManifestWarning>();
        var backups = new List<BackupManifest>();
        var targets = new List<BackupTargetManifest>();
        var secrets = new List<SecretManifest>();

        foreach (var document in documents)
        {
            var v = new DocumentValidation(document, problems, warnings);
            // Secrets are sensitive from the start: even the header's messages must not show their values.
            v.Sensitive = LooksLikeSecret(document);
            var header = ManifestHeader.Read(v);
            if (header is null) continue;
            var accepted = acceptedIn[document.Source];
            switch (header.Kind)
            {
                case BackupManifestValidator.Kind when accepted.HasFlag(ManifestKinds.Backup):
                    if (BackupManifestValidator.Validate(v, header) is { } b) backups.Add(b);
                    break;
                case BackupTargetManifestValidator.Kind when accepted.HasFlag(ManifestKinds.BackupTarget):
                    if (BackupTargetManifestValidator.Validate(v, header) is { } t) targets.Add(t);
                    break;
                case SecretManifestValidator.Kind when accepted.HasFlag(ManifestKinds.Secret):
                    if (SecretManifestValidator.Validate(v, header) is { } s) secrets.Add(s);
                    break;
                case null:
                    v.Problem("kind", null, $"kind is missing: this input takes {Describe(accepted)}.");
                    break;
                default:
                    v.Problem("kind", v.Field(header.Root, "", "kind"), $"kind '{header.Kind}' is not accepted here: this input takes {Describe(accepted)}.");
                    break;
            }
        }
        CheckCredentialReferences(targets, secrets, problems);
        if (problems.Count > 0) throw new InvalidManifestException(problems);
        // In reading order: documents as given, then by line within each.
        var ordered = warnings.Select((w, i) => (w, i)).OrderBy(x => documents.FindIndex(d => d.Source == x.w.Location.Source && d.Index == x.w.Location.Document))
            .ThenBy(x => x.w.Location.Line).ThenBy(x => x.i).Select(x => x.w).ToList();
        return new ManifestSet(backups, targets, secrets, ordered);
    }

    /// <summary>A target whose Secret is in the same input needs the keys its driver requires (for S3, Longhorn's manager's, docs/backupstore-format.md §7.4).</summary>
    private static void CheckCredentialReferences(List<BackupTargetManifest> targets, List<SecretManifest> secrets, List<ManifestProblem> problems)
    {
        foreach (var target in targets)
        {
            var secret = target.CredentialSecret is null ? null : secrets.LastOrDefault(s => s.Name == target.CredentialSecret);
            if (secret is null || Store.Drivers.StoreDrivers.ForUrlText(target.BackupTargetUrl)?.CheckSecretKeys(secret) is not { } problem) continue;
            problems.Add(new ManifestProblem(
                target.Location with { FieldPath = "spec.credentialSecret", Line = target.FieldLines.GetValueOrDefault("spec.credentialSecret", target.Location.Line) },
                problem));
        }
    }

    private static bool LooksLikeSecret(YamlManifestDocument document) =>
        document.Root is YamlDotNet.RepresentationModel.YamlMappingNode m &&
        m.Children.Any(p => p.Key is YamlDotNet.RepresentationModel.YamlScalarNode { Value: "kind" } &&
                            p.Value is YamlDotNet.RepresentationModel.YamlScalarNode { Value: SecretManifestValidator.Kind });

    private static string Describe(ManifestKinds kinds)
    {
        var names = new List<string>();
        if (kinds.HasFlag(ManifestKinds.Backup)) names.Add($"{BackupManifestValidator.Kind} ({ManifestHeader.LonghornApiVersion})");
        if (kinds.HasFlag(ManifestKinds.BackupTarget)) names.Add($"{BackupTargetManifestValidator.Kind} ({ManifestHeader.LonghornApiVersion})");
        if (kinds.HasFlag(ManifestKinds.Secret)) names.Add($"{SecretManifestValidator.Kind} ({ManifestHeader.CoreApiVersion})");
        return names.Count == 0 ? "no manifests" : string.Join(" and ", names) + " documents";
    }
}
