using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// A driver's variables as Longhorn's driver sees them: the target's credential Secret first (read from its file at
/// use time), then the process environment. Each value knows its source, for -Debug; this object never shows a value.
/// </summary>
public sealed class SecretVariables
{
    private readonly SecretManifest? _secret;
    private readonly StoreOpenOptions _options;

    public SecretVariables(StoreOpenOptions options, SecretManifest? secret = null, CredentialSecretReference? reference = null)
    {
        _options = options;
        _secret = secret;
        Secret = secret is null ? null : reference ?? throw new ArgumentNullException(nameof(reference));
    }

    /// <summary>The variables of a target that references <paramref name="reference"/> (null: the environment alone).</summary>
    public static SecretVariables For(CredentialSecretReference? reference, StoreOpenOptions options) =>
        reference is null ? new SecretVariables(options) : new SecretVariables(options, CredentialSecretFile.Read(reference), reference);

    public CredentialSecretReference? Secret { get; }

    /// <summary>The Secret's value when it has a non-blank one, else the environment's.</summary>
    public string? Get(string name) => FromSecret(name) ?? _options.GetEnvironment(name);

    /// <summary>The Secret's value alone (trimmed), or null.</summary>
    public string? FromSecret(string name) =>
        _secret is not null && _secret.Values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>"NAME of the Secret 'x' in file 'y'" or "the environment variable NAME".</summary>
    public string SourceOf(string name) => FromSecret(name) is null ? $"the environment variable {name}" : $"{name} of {Secret}";
}
