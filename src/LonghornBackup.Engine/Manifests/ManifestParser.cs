namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Reads and validates Longhorn manifests: YAML streams of Backup, BackupTarget and Secret documents. Every document
/// is checked before the caller applies any, so an invalid one stops the whole input (InvalidManifestException,
/// listing every problem with its document, field and line). A field the schema does not have is a problem too, as
/// with kubectl's strict validation, unless the caller relaxes it (<see cref="ManifestValidation"/>).
/// </summary>
public static class ManifestParser
{
    public static ManifestSet Parse(string text, string sourceName, ManifestKinds accepted,
        ManifestValidation unknownFields = ManifestValidation.Strict) =>
        Parse(new[] { new ManifestSource(sourceName, text) }, accepted, unknownFields);

    public static ManifestSet Parse(IEnumerable<ManifestSource> sources, ManifestKinds accepted,
        ManifestValidation unknownFields = ManifestValidation.Strict) =>
        Parse(sources, _ => accepted, unknownFields);

    /// <summary>
    /// Reads several streams that each take their own kinds (Set-LhBackupTarget: BackupTarget and Secret documents
    /// from -Manifest, only Secrets from -SecretManifest). References between documents are checked across all.
    /// </summary>
    public static ManifestSet Parse(IEnumerable<ManifestSource> sources, Func<ManifestSource, ManifestKinds> acceptedBy,
        ManifestValidation unknownFields = ManifestValidation.Strict)
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
            var v = new DocumentValidation(document, problems, warnings, unknownFields);
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
        if (problems.Count > 0) throw new InvalidManifestException(InReadingOrder(problems, p => p.Location, documents));
        return new ManifestSet(backups, targets, secrets, InReadingOrder(warnings, w => w.Location, documents));
    }

    /// <summary>Documents as given, then by line within each (a document's fields are checked part by part).</summary>
    private static List<T> InReadingOrder<T>(List<T> items, Func<T, ManifestLocation> location, List<YamlManifestDocument> documents) =>
        items.Select((item, i) => (Item: item, Index: i, At: location(item)))
            .OrderBy(x => documents.FindIndex(d => d.Source == x.At.Source && d.Index == x.At.Document))
            .ThenBy(x => x.At.Line).ThenBy(x => x.Index).Select(x => x.Item).ToList();

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
