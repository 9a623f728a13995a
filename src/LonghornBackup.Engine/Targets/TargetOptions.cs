using System.Net;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// The store options given to Set-LhBackupTarget (EndpointUrl, Region, AccessKey, Credential, ...) by parameter name,
/// and the settings it is asked to remove (-Clear). An option left out, or given as null (a property piped from
/// Get-LhBackupTarget that the target does not have), is absent: the saved value stays. Keys pass through here as
/// plain text only on their way to the file that stores them; nothing here is ever shown.
/// </summary>
public sealed class TargetOptions
{
    public const string EndpointUrl = "EndpointUrl", Region = "Region", ForcePathStyle = "ForcePathStyle",
        CACertificatePath = "CACertificatePath", ProfileName = "ProfileName", ProfileLocation = "ProfileLocation",
        AccessKey = "AccessKey", SecretKey = "SecretKey", SessionToken = "SessionToken",
        AccountName = "AccountName", AccountKey = "AccountKey", SasToken = "SasToken";

    /// <summary>The credentials given as a user name and password (S3 keys, an Azure account and key, a CIFS user); as a -Clear name: whatever credentials the target uses.</summary>
    public const string Credential = "Credential";

    private readonly Dictionary<string, object> _given;
    private readonly HashSet<string> _clear;

    public TargetOptions(IEnumerable<KeyValuePair<string, object?>> given, IEnumerable<string>? clear = null)
    {
        _given = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in given)
            if (value is not null) _given[name] = value;
        _clear = new HashSet<string>(clear ?? Array.Empty<string>(), StringComparer.OrdinalIgnoreCase);
    }

    public static TargetOptions None { get; } = new(Array.Empty<KeyValuePair<string, object?>>());

    /// <summary>The options given, by name.</summary>
    public IEnumerable<string> Given => _given.Keys;

    /// <summary>The settings to remove, by name.</summary>
    public IEnumerable<string> Cleared => _clear;

    public bool Has(string name) => _given.ContainsKey(name);

    public bool Clears(string name) => _clear.Contains(name);

    /// <summary>A text option, trimmed; null when absent or blank (blank keeps the saved value too).</summary>
    public string? Text(string name) =>
        _given.TryGetValue(name, out var value) && value is string text && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    /// <summary>A key as given, untrimmed (a blank one is an error for the driver to name, not an absent one).</summary>
    public string? Secret(string name) => _given.TryGetValue(name, out var value) ? value as string : null;

    public bool? Flag(string name) => _given.TryGetValue(name, out var value) && value is bool flag ? flag : null;

    /// <summary>The -Credential given (user name as typed, domain included), or null.</summary>
    public NetworkCredential? UserAndPassword => _given.TryGetValue(Credential, out var value) ? value as NetworkCredential : null;
}
