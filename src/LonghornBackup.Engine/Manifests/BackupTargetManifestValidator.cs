using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Validates a BackupTarget document (docs/backupstore-format.md §8.2): metadata.name, spec.backupTargetURL (one of Longhorn's schemes, or
/// a path), spec.credentialSecret (a Kubernetes object name) and spec.pollInterval (a Go duration such as "5m0s").
/// Whether the URL's kind of store is usable is decided when the target is set, not here.
/// </summary>
internal static partial class BackupTargetManifestValidator
{
    public const string Kind = "BackupTarget";

    private static readonly HashSet<string> KnownSpec = new(StringComparer.Ordinal)
    {
        "backupTargetURL", "credentialSecret", "pollInterval", "syncRequestedAt",
    };
    private static readonly HashSet<string> Schemes = new(StringComparer.OrdinalIgnoreCase) { "s3", "azblob", "nfs", "cifs", "vfs", "file" };

    internal static readonly Regex KubernetesNamePattern = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant);

    public static BackupTargetManifest? Validate(DocumentValidation v, ManifestHeader header)
    {
        int before = v.ProblemCount;
        header.Expect(v, ManifestHeader.LonghornApiVersion);
        v.CheckUnknownFields(header.Root, "", ManifestHeader.CustomResourceFields, "Longhorn's BackupTarget");
        if (header.Name is null)
            v.Problem("metadata.name", null, "metadata.name is missing: name the target (Longhorn's default target is named default).");
        else
        {
            try { TargetRegistry.ValidateName(header.Name); }
            catch (LonghornBackupException e) { v.Problem("metadata.name", null, e.Message); }
        }

        string? url = null, secret = null;
        TimeSpan? poll = null;
        var spec = v.Mapping(v.Field(header.Root, "", "spec"), "spec", "target settings (backupTargetURL, credentialSecret, pollInterval)");
        if (spec is null)
            v.Problem("spec", null, "spec is missing: a BackupTarget needs spec.backupTargetURL.");
        else
        {
            var urlNode = v.Field(spec, "spec", "backupTargetURL");
            url = v.Scalar(urlNode, "spec.backupTargetURL")?.Trim();
            if (string.IsNullOrEmpty(url))
                v.Problem("spec.backupTargetURL", urlNode ?? spec, "spec.backupTargetURL is missing or empty: give the target's URL, e.g. s3://bucket@us-east-1/path/ or nfs://server:/export.");
            else if (url.IndexOf("://", StringComparison.Ordinal) is var at and > 0 && !Schemes.Contains(url[..at]))
                v.Problem("spec.backupTargetURL", urlNode, $"'{url[..at]}' is not a backup target scheme: Longhorn uses s3, azblob, nfs or cifs (and vfs for local paths).");

            var secretNode = v.Field(spec, "spec", "credentialSecret");
            secret = v.Scalar(secretNode, "spec.credentialSecret");
            if (secret == "") secret = null;
            if (secret is not null && (secret.Length > 253 || !KubernetesNamePattern.IsMatch(secret)))
                v.Problem("spec.credentialSecret", secretNode, $"'{secret}' is not a Secret name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit.");

            var pollNode = v.Field(spec, "spec", "pollInterval");
            string? pollText = v.Scalar(pollNode, "spec.pollInterval", crdWantsString: false);
            if (!string.IsNullOrEmpty(pollText))
            {
                if (GoDuration.TryParse(pollText, out var parsed) && parsed >= TimeSpan.Zero) poll = parsed;
                else v.Problem("spec.pollInterval", pollNode, $"'{pollText}' is not a poll interval: write a Go duration such as \"5m0s\", \"300s\" or \"1h\" (\"0s\" turns polling off).");
            }
            v.CheckUnknownFields(spec, "spec", KnownSpec, "Longhorn's BackupTarget");
        }
        if (v.ProblemCount > before) return null;
        return new BackupTargetManifest
        {
            Location = v.At("", null),
            Name = header.Name!,
            Namespace = header.Namespace,
            BackupTargetUrl = url!,
            CredentialSecret = secret,
            PollInterval = poll,
            FieldLines = new Dictionary<string, int>(v.FieldLines, StringComparer.Ordinal),
        };
    }
}
