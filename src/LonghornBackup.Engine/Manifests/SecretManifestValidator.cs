using System.Text;
using System.Text.RegularExpressions;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Validates a Kubernetes Secret document holding backup target credentials (docs/backupstore-format.md §7.4). The document is sensitive:
/// no message names a value, only keys. Fields a Secret does not have are unknown fields (see <see cref="ManifestValidation"/>);
/// keys Longhorn does not read are ignored with a warning, as a Secret may hold other keys too.
/// </summary>
internal static partial class SecretManifestValidator
{
    public const string Kind = "Secret";

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable",
    };

    private static readonly Regex KeyPattern = new("^[-._a-zA-Z0-9]+$", RegexOptions.CultureInvariant);

    public static SecretManifest? Validate(DocumentValidation v, ManifestHeader header)
    {
        int before = v.ProblemCount;
        header.Expect(v, ManifestHeader.CoreApiVersion);
        v.CheckUnknownFields(header.Root, "", KnownFields, "a Kubernetes Secret");
        if (header.Name is null)
            v.Problem("metadata.name", null, "metadata.name is missing: a Secret is referenced by name from spec.credentialSecret.");
        else if (header.Name.Length > 253 || !BackupTargetManifestValidator.KubernetesNamePattern.IsMatch(header.Name))
            v.Problem("metadata.name", null, $"'{header.Name}' is not a Secret name: use lower-case letters, digits, '-' and '.'.");

        string? type = v.Scalar(v.Field(header.Root, "", "type"), "type");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);   // key -> field path it came from
        foreach (var (key, encoded, keyNode, valueNode) in v.StringMap(v.Field(header.Root, "", "data"), "data", "keys to base64 values") ?? new())
        {
            if (!CheckKey(v, "data", key, keyNode)) continue;
            try
            {
                values[key] = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(encoded));
                origin[key] = $"data.{key}";
            }
            catch (Exception e) when (e is FormatException or DecoderFallbackException)
            {
                v.Problem($"data.{key}", valueNode, $"data.{key} is not base64-encoded UTF-8 text; put plain values under stringData instead.");
            }
        }
        foreach (var (key, value, keyNode, _) in v.StringMap(v.Field(header.Root, "", "stringData"), "stringData", "keys to values") ?? new())
            if (CheckKey(v, "stringData", key, keyNode)) { values[key] = value; origin[key] = $"stringData.{key}"; }

        foreach (var key in CredentialKeys.Booleans)
            if (values.TryGetValue(key, out var flag) && flag is not ("true" or "false"))
                v.Problem(origin[key], null, $"{key} must be \"true\" or \"false\".");

        if (v.ProblemCount > before) return null;
        return new SecretManifest(v.At("", null), header.Name!, header.Namespace, type, new SecretValues(values));
    }

    private static bool CheckKey(DocumentValidation v, string path, string key, YamlDotNet.RepresentationModel.YamlNode keyNode)
    {
        if (key.Length == 0 || key.Length > 253 || !KeyPattern.IsMatch(key))
        {
            v.Problem($"{path}.{key}", keyNode, $"'{key}' is not a Secret key: use letters, digits, '-', '_' and '.'.");
            return false;
        }
        if (!CredentialKeys.Known.Contains(key))
        {
            string hint = ClosestName.Among(key, CredentialKeys.Known) is { } closest ? $" (did you mean {closest}?)" : "";
            v.Warn($"{path}.{key}", keyNode, $"{key} is not a credential key Longhorn's backup targets read{hint}; it is ignored.");
            return false;
        }
        return true;
    }
}
