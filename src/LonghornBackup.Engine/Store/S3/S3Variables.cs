using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Longhorn's S3 variables (AWS_ENDPOINTS, AWS_CERT, VIRTUAL_HOSTED_STYLE, HTTP(S)_PROXY, NO_PROXY) as its driver
/// sees them: the target's credential Secret first, then the process environment. Longhorn's manager puts a Secret's
/// keys into the driver's environment, so they win over what the process had. Each value knows its source, for
/// -Verbose; this object never shows a value.
/// </summary>
internal sealed class S3Variables
{
    private readonly SecretManifest? _secret;
    private readonly StoreOpenOptions _options;

    public S3Variables(StoreOpenOptions options, SecretManifest? secret = null, CredentialSecretReference? reference = null)
    {
        _options = options;
        _secret = secret;
        Secret = secret is null ? null : reference ?? throw new ArgumentNullException(nameof(reference));
    }

    /// <summary>The variables of a target: its Secret is read from its file now, at use time.</summary>
    public static S3Variables For(S3TargetSettings? settings, StoreOpenOptions options)
    {
        if (settings is not { CredentialSource: CredentialSource.Secret }) return new S3Variables(options);
        var reference = settings.CredentialSecret
            ?? throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                "The S3 target names the credentials source 'Secret' but no Secret.", null,
                "Apply the target again: Set-LhBackupTarget -Manifest <BackupTarget file> -SecretManifest <Secret file>.");
        return new S3Variables(options, CredentialSecretFile.Read(reference), reference);
    }

    /// <summary>The Secret the target references, or null when its values come from the environment only.</summary>
    public CredentialSecretReference? Secret { get; }

    /// <summary>The Secret's value when it has a non-blank one, else the environment's.</summary>
    public string? Get(string name) => FromSecret(name) ?? _options.GetEnvironment(name);

    /// <summary>The Secret's value alone (trimmed), or null.</summary>
    public string? FromSecret(string name) =>
        _secret is not null && _secret.Values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>Where <see cref="Get"/> finds a value: "AWS_ENDPOINTS of the Secret 'x' in file 'y'" or "AWS_ENDPOINTS".</summary>
    public string SourceOf(string name) => FromSecret(name) is null ? name : $"{name} of {Secret}";

    public override string ToString() => Secret is null ? "S3 variables from the environment" : $"S3 variables from {Secret}, then the environment";
}
