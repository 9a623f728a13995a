using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Checks one document's nodes and collects problems and warnings, each located by field path and line. Values are
/// quoted in messages only when the document is not sensitive (a Secret's values never appear in any message).
/// </summary>
internal sealed class DocumentValidation
{
    private readonly List<ManifestProblem> _problems;
    private readonly List<ManifestWarning> _warnings;

    public DocumentValidation(YamlManifestDocument document, List<ManifestProblem> problems, List<ManifestWarning> warnings,
        ManifestValidation unknownFields = ManifestValidation.Strict)
    {
        Document = document;
        _problems = problems;
        _warnings = warnings;
        UnknownFields = unknownFields;
    }

    public YamlManifestDocument Document { get; }
    /// <summary>What a field the schema does not have does: a problem, a warning, or nothing.</summary>
    public ManifestValidation UnknownFields { get; }
    /// <summary>metadata.name once known, so later messages name the document.</summary>
    public string? DocumentName { get; set; }
    /// <summary>Set for Secrets: messages then never show a value.</summary>
    public bool Sensitive { get; set; }
    public int ProblemCount { get; private set; }

    /// <summary>Line of each field's key (by path), so later checks (e.g. overrides, names in use) can point at it.</summary>
    public Dictionary<string, int> FieldLines { get; } = new(StringComparer.Ordinal);

    /// <summary>The location of a field: the node's line, else the line recorded for the path, else the document's.</summary>
    public ManifestLocation At(string path, YamlNode? node)
    {
        int line = node is not null ? (int)node.Start.Line
            : FieldLines.TryGetValue(path, out int seen) ? seen
            : (int)Document.Root.Start.Line;
        return new(Document.Source, Document.Index, DocumentName, path, line);
    }

    public void Problem(string path, YamlNode? node, string message)
    {
        ProblemCount++;
        _problems.Add(new ManifestProblem(At(path, node), message));
    }

    public void Warn(string path, YamlNode? node, string message) => _warnings.Add(new ManifestWarning(At(path, node), message));

    /// <summary>'value' for messages, or a neutral word when the document is sensitive.</summary>
    public string Show(string value) => Sensitive ? "the value" : $"'{value}'";

    public static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    public static string KindOf(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "null",
        YamlScalarNode => "a scalar",
        _ => "an alias",
    };

    public static bool IsNull(YamlScalarNode s) =>
        s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Tag.IsEmpty && ScalarTypes.Resolve(s.Value ?? "") == ScalarType.Null;

    /// <summary>The child of a mapping by key, recording its line; null when absent.</summary>
    public YamlNode? Field(YamlMappingNode map, string parentPath, string key)
    {
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode sk && sk.Value == key)
            {
                FieldLines[Join(parentPath, key)] = (int)k.Start.Line;
                return v;
            }
        }
        return null;
    }

    /// <summary>
    /// Keys <paramref name="schema"/> (e.g. "Longhorn's Backup") does not have, as kubectl's strict validation sees them:
    /// a problem by default, else a warning or nothing (<see cref="UnknownFields"/>); each names the closest known field.
    /// </summary>
    public void CheckUnknownFields(YamlMappingNode map, string path, IReadOnlyCollection<string> known, string schema)
    {
        if (UnknownFields == ManifestValidation.Ignore) return;
        foreach (var (k, _) in map.Children)
        {
            string key = k is YamlScalarNode s ? s.Value ?? "" : "(a non-scalar key)";
            if (known.Contains(key)) continue;
            string field = Join(path, key);
            string hint = ClosestName.Among(key, known) is { } closest ? $" (did you mean '{closest}'?)" : "";
            if (UnknownFields == ManifestValidation.Strict)
                Problem(field, k, $"unknown field '{field}'{hint}: {schema} has no such field. Correct it, or apply the manifest without it with -Validation Warn.");
            else
                Warn(field, k, $"unknown field '{field}'{hint} is ignored.");
        }
    }

    /// <summary>A node that must be a mapping (or absent/null); a problem otherwise.</summary>
    public YamlMappingNode? Mapping(YamlNode? node, string path, string what)
    {
        if (node is null || node is YamlScalarNode s && IsNull(s)) return null;
        if (node is YamlMappingNode m) return m;
        Problem(path, node, $"{path} must be a mapping of {what}, but it is {KindOf(node)}.");
        return null;
    }

    /// <summary>
    /// A field that must be a scalar string. Null when absent or null. A plain scalar that generic readers would
    /// type as a number or boolean is accepted (with a warning when <paramref name="crdWantsString"/>), since kubectl
    /// would reject it but the meaning is plain.
    /// </summary>
    public string? Scalar(YamlNode? node, string path, bool crdWantsString = true)
    {
        if (node is null) return null;
        if (node is not YamlScalarNode s)
        {
            Problem(path, node, $"{path} must be a string, but it is {KindOf(node)}.");
            return null;
        }
        if (IsNull(s)) return null;
        string value = s.Value ?? "";
        if (crdWantsString && s.Style is ScalarStyle.Plain or ScalarStyle.Any && s.Tag.IsEmpty)
        {
            var type = ScalarTypes.Resolve(value);
            if (type is not ScalarType.String and not ScalarType.Timestamp)
                Warn(path, node, $"{path} is {ScalarTypes.Describe(type)} in YAML, but Longhorn's CRD wants a string: quote it, or kubectl will reject the manifest. It is read as the string {Show(value)}.");
        }
        return value;
    }

    /// <summary>A mapping of string keys to string values (labels, Secret data), with each entry's node for locations.</summary>
    public List<(string Key, string Value, YamlNode KeyNode, YamlNode ValueNode)>? StringMap(YamlNode? node, string path, string what)
    {
        var map = Mapping(node, path, what);
        if (map is null) return null;
        var entries = new List<(string, string, YamlNode, YamlNode)>();
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode sk)
            {
                Problem(path, k, $"{path} has a key that is {KindOf(k)}; keys must be strings.");
                continue;
            }
            string key = sk.Value ?? "";
            string entryPath = $"{path}.{key}";
            FieldLines[entryPath] = (int)k.Start.Line;
            if (v is not YamlScalarNode)
            {
                Problem(entryPath, v, $"{entryPath} must be a string, but it is {KindOf(v)}.");
                continue;
            }
            entries.Add((key, Scalar(v, entryPath) ?? "", k, v));
        }
        return entries;
    }
}
