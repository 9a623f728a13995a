using System.Text.RegularExpressions;

namespace LonghornBackup.Engine.Manifests;

/// <summary>The type a YAML reader gives an untagged plain scalar.</summary>
internal enum ScalarType
{
    String,
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
}

/// <summary>
/// How generic YAML readers type plain (unquoted) scalars: the YAML 1.2 core schema plus the YAML 1.1 forms that
/// Kubernetes' reader (go-yaml) still honours (yes/no/on/off, 0x/0o/0b, 1_000, timestamps). The writer quotes any
/// string that would come back as something else; the validators warn where Longhorn's CRD wants a string.
/// </summary>
internal static partial class ScalarTypes
{
    private static readonly Regex IntPattern = new(@"^[-+]?(0|[1-9][0-9_]*|0[0-7_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)$", RegexOptions.CultureInvariant);

    private static readonly Regex FloatPattern = new(@"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$", RegexOptions.CultureInvariant);

    private static readonly Regex TimestampPattern = new(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|\s+)?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?)?\s*(Z|[-+][0-9]{1,2}(:?[0-9]{2})?)?$", RegexOptions.CultureInvariant);

    private static readonly HashSet<string> Nulls = new(StringComparer.Ordinal) { "", "~", "null", "Null", "NULL" };

    private static readonly HashSet<string> Bools = new(StringComparer.Ordinal)
    {
        "true", "True", "TRUE", "false", "False", "FALSE",
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF",
    };

    public static ScalarType Resolve(string plain)
    {
        if (Nulls.Contains(plain)) return ScalarType.Null;
        if (Bools.Contains(plain)) return ScalarType.Bool;
        if (IntPattern.IsMatch(plain)) return ScalarType.Int;
        if (FloatPattern.IsMatch(plain)) return ScalarType.Float;
        if (TimestampPattern.IsMatch(plain)) return ScalarType.Timestamp;
        return ScalarType.String;
    }

    /// <summary>True when a plain scalar with this text reads back as a string everywhere.</summary>
    public static bool ReadsAsString(string text) => Resolve(text) == ScalarType.String;

    public static string Describe(ScalarType type) => type switch
    {
        ScalarType.Null => "null",
        ScalarType.Bool => "a boolean",
        ScalarType.Int => "an integer",
        ScalarType.Float => "a number",
        ScalarType.Timestamp => "a timestamp",
        _ => "a string",
    };
}
