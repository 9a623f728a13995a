using System.Collections;
using System.Management.Automation;

namespace LonghornBackup.Hosting;

/// <summary>Turns a -Label hashtable into string labels (values through PowerShell's own string conversion).</summary>
internal static class LabelArguments
{
    public static Dictionary<string, string>? ToDictionary(Hashtable? labels)
    {
        if (labels is null) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in labels)
        {
            string key = LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "";
            string value = entry.Value is null ? "" : LanguagePrimitives.ConvertTo<string>(entry.Value) ?? "";
            result[key] = value;
        }
        return result;
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
