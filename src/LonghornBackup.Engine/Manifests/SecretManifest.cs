using System.Collections;
using System.Diagnostics;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Credential values from a Kubernetes Secret, keyed by Longhorn's variable names (AWS_ACCESS_KEY_ID, ...). Its
/// ToString and debugger view show the key names only: a value must never reach a message, a log or a file.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SecretValues : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _values;

    internal SecretValues(Dictionary<string, string> values) => _values = values;

    public string this[string key] => _values[key];
    public IEnumerable<string> Keys => _values.Keys.OrderBy(k => k, StringComparer.Ordinal);
    public IEnumerable<string> Values => _values.Values;
    public int Count => _values.Count;
    public bool ContainsKey(string key) => _values.ContainsKey(key);
    public bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _values.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{_values.Count} key(s): {string.Join(", ", Keys)} (values hidden)";
}

/// <summary>
/// A validated Kubernetes Secret manifest (apiVersion v1, kind Secret) that holds a backup target's credentials, as
/// Longhorn reads them (docs/backupstore-format.md §7.4). data values are base64-decoded; stringData values are taken as written and win
/// over data for the same key, as in Kubernetes.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SecretManifest
{
    internal SecretManifest(ManifestLocation location, string name, string? ns, string? type, SecretValues values)
    {
        Location = location;
        Name = name;
        Namespace = ns;
        Type = type;
        Values = values;
    }

    public ManifestLocation Location { get; }
    public string Name { get; }
    public string? Namespace { get; }
    /// <summary>The Secret's type (usually Opaque); null when not given.</summary>
    public string? Type { get; }
    public SecretValues Values { get; }

    public override string ToString() => $"Secret {Namespace ?? ManifestHeader.DefaultNamespace}/{Name} with {Values}";
}
