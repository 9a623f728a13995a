using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// Kubernetes label syntax for labels a user puts on a backup. Labels read from a store are not checked:
/// Longhorn itself stores values such as KubernetesStatus (JSON) that would fail these rules.
/// </summary>
public static partial class LabelRules
{
    private static readonly Regex NameOrValuePattern = new("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$", RegexOptions.CultureInvariant);

    private static readonly Regex DnsSubdomainPattern = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant);

    public static void Validate(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null) return;
        foreach (var (key, value) in labels)
        {
            ValidateKey(key);
            ValidateValue(key, value);
        }
    }

    public static void ValidateKey(string key)
    {
        string? problem = KeyProblem(key);
        if (problem is not null)
            throw new LonghornBackupException(ErrorIds.InvalidLabel, ErrorKind.InvalidArgument,
                $"Label key '{key}' is invalid: {problem}", key,
                "Use Kubernetes label syntax: an optional DNS-subdomain prefix and '/', then a name of up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.");
    }

    public static void ValidateValue(string key, string? value)
    {
        value ??= "";
        if (value.Length > 63 || !NameOrValuePattern.IsMatch(value))
            throw new LonghornBackupException(ErrorIds.InvalidLabel, ErrorKind.InvalidArgument,
                $"Label '{key}' has an invalid value '{value}': a value is empty or up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
                key);
    }

    private static string? KeyProblem(string key)
    {
        if (string.IsNullOrEmpty(key)) return "a key cannot be empty.";
        string name = key;
        int slash = key.IndexOf('/');
        if (slash >= 0)
        {
            string prefix = key[..slash];
            name = key[(slash + 1)..];
            if (prefix.Length == 0 || prefix.Length > 253 || !DnsSubdomainPattern.IsMatch(prefix))
                return "the prefix before '/' must be a lower-case DNS subdomain of at most 253 characters.";
        }
        if (name.Length == 0) return "the name part cannot be empty.";
        if (name.Length > 63) return "the name part is longer than 63 characters.";
        if (!NameOrValuePattern.IsMatch(name))
            return "the name part must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit.";
        return null;
    }
}
