using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Hosting;

/// <summary>
/// Turns a -Label hashtable into string labels (values through PowerShell's own string conversion). Keys and values
/// must be scalars: a nested hashtable, an array or an object would otherwise be stored as its type name
/// ("System.Collections.Hashtable").
/// </summary>
internal static class LabelArguments
{
    public static Dictionary<string, string>? ToDictionary(Hashtable? labels)
    {
        if (labels is null) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in labels)
        {
            string key = IsScalar(entry.Key) ? LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "" : throw NotScalar(entry.Key, null);
            if (entry.Value is not null && !IsScalar(entry.Value)) throw NotScalar(key, entry.Value);
            string value = entry.Value is null ? "" : LanguagePrimitives.ConvertTo<string>(entry.Value) ?? "";
            result[key] = value;
        }
        return result;
    }

    private static bool IsScalar(object value) =>
        (value is PSObject wrapped ? wrapped.BaseObject : value) is string or char or bool or byte or sbyte or short or ushort
            or int or uint or long or ulong or float or double or decimal or System.Numerics.BigInteger;

    private static LonghornBackupException NotScalar(object key, object? value)
    {
        object shown = key is PSObject k ? k.BaseObject : key;
        return value is null
            ? new(ErrorIds.InvalidLabel, ErrorKind.InvalidArgument,
                $"A label key is a {shown.GetType().FullName}, not a string: label keys are text.", shown,
                "Give -Label a hashtable of text keys and text, number or true/false values, e.g. @{ app = 'db' }.")
            : new(ErrorIds.InvalidLabel, ErrorKind.InvalidArgument,
                $"Label '{key}' has a {(value is PSObject v ? v.BaseObject : value).GetType().FullName} value, not a text, number or true/false: a label value is a single scalar.",
                key, "Give -Label a hashtable of text keys and text, number or true/false values, e.g. @{ app = 'db' }.");
    }

    /// <summary>True when every label of <paramref name="filter"/> is present with the same value.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string>? labels, Dictionary<string, string>? filter)
    {
        if (filter is null || filter.Count == 0) return true;
        if (labels is null) return false;
        foreach (var (k, v) in filter)
            if (!labels.TryGetValue(k, out var actual) || actual != v) return false;
        return true;
    }
}
