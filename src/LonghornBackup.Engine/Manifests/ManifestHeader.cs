using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using YamlDotNet.RepresentationModel;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// The parts every Kubernetes object shares: apiVersion, kind and metadata (name, generateName, namespace, labels).
/// Other ObjectMeta fields (annotations, uid, resourceVersion, managedFields, ...) are accepted and ignored, so an
/// object exported with kubectl applies as is; a key ObjectMeta does not have (metadata.lables) is an unknown field.
/// </summary>
internal sealed class ManifestHeader
{
    public const string LonghornApiVersion = "longhorn.io/v1beta2";
    public const string CoreApiVersion = "v1";
    public const string DefaultNamespace = "longhorn-system";

    /// <summary>Top-level fields of a custom resource (Longhorn's kinds).</summary>
    public static readonly IReadOnlyCollection<string> CustomResourceFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "apiVersion", "kind", "metadata", "spec", "status",
    };
    private static readonly HashSet<string> KnownMetadata = new(StringComparer.Ordinal)
    {
        "name", "generateName", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation",
        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers", "ownerReferences",
        "managedFields", "selfLink",
    };

    public YamlMappingNode Root { get; private init; } = null!;
    public string? ApiVersion { get; private init; }
    public string? Kind { get; private init; }
    public string? Name { get; private set; }
    public string? GenerateName { get; private set; }
    public string? Namespace { get; private set; }
    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads the header; null when the document is not even a mapping (a problem is recorded).</summary>
    public static ManifestHeader? Read(DocumentValidation v)
    {
        if (v.Document.Root is not YamlMappingNode root)
        {
            v.Problem("", v.Document.Root,
                $"a manifest document must be a mapping (apiVersion, kind, metadata, spec), but this one is {DocumentValidation.KindOf(v.Document.Root)}.");
            return null;
        }
        var header = new ManifestHeader
        {
            Root = root,
            ApiVersion = v.Scalar(v.Field(root, "", "apiVersion"), "apiVersion", crdWantsString: false),
            Kind = v.Scalar(v.Field(root, "", "kind"), "kind", crdWantsString: false),
        };
        var metadata = v.Mapping(v.Field(root, "", "metadata"), "metadata", "object metadata (name, namespace, labels)");
        if (metadata is not null)
        {
            header.Name = v.Scalar(v.Field(metadata, "metadata", "name"), "metadata.name");
            v.DocumentName = header.Name;
            header.GenerateName = v.Scalar(v.Field(metadata, "metadata", "generateName"), "metadata.generateName");
            header.Namespace = v.Scalar(v.Field(metadata, "metadata", "namespace"), "metadata.namespace");
            var labels = v.StringMap(v.Field(metadata, "metadata", "labels"), "metadata.labels", "label names to values");
            foreach (var (key, value, keyNode, valueNode) in labels ?? new())
            {
                if (CheckLabel(v, "metadata.labels", key, value, keyNode, valueNode)) header.Labels[key] = value;
            }
            v.CheckUnknownFields(metadata, "metadata", KnownMetadata, "Kubernetes' object metadata");
        }
        return header;
    }

    /// <summary>Checks apiVersion and kind against what the document claims to be; false (with a problem) when wrong.</summary>
    public bool Expect(DocumentValidation v, string apiVersion)
    {
        if (ApiVersion is null)
        {
            v.Problem("apiVersion", null, $"apiVersion is missing; a {Kind} manifest has apiVersion: {apiVersion}.");
            return false;
        }
        if (ApiVersion != apiVersion)
        {
            v.Problem("apiVersion", v.Field(Root, "", "apiVersion"),
                $"apiVersion '{ApiVersion}' is not supported for kind {Kind}; use {apiVersion}.");
            return false;
        }
        return true;
    }

    /// <summary>Kubernetes label syntax (Format/LabelRules) for one label; a problem per bad key or value.</summary>
    public static bool CheckLabel(DocumentValidation v, string path, string key, string value, YamlNode keyNode, YamlNode valueNode)
    {
        string entry = $"{path}.{key}";
        try
        {
            LabelRules.ValidateKey(key);
        }
        catch (LonghornBackupException e)
        {
            v.Problem(entry, keyNode, e.Message);
            return false;
        }
        try
        {
            LabelRules.ValidateValue(key, value);
        }
        catch (LonghornBackupException)
        {
            v.Problem(entry, valueNode,
                $"label '{key}' has an invalid value {v.Show(value)}: a label value is empty or up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.");
            return false;
        }
        return true;
    }
}
