using System.Management.Automation;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Hosting;

/// <summary>Name selection with wildcards: a literal name that matches nothing is an error, a pattern is not.</summary>
internal static class Selection
{
    public static bool Matches(string name, string[]? patterns) =>
        patterns is null || patterns.Length == 0 ||
        patterns.Any(p => new WildcardPattern(p, WildcardOptions.IgnoreCase).IsMatch(name));

    public static IEnumerable<string> Filter(IReadOnlyList<string> names, string[]? patterns, LhCmdlet cmdlet,
        Func<string, LonghornBackupException> notFound)
    {
        if (patterns is null || patterns.Length == 0) return names;
        foreach (var p in patterns)
            if (!WildcardPattern.ContainsWildcardCharacters(p) && !names.Contains(p, StringComparer.OrdinalIgnoreCase))
                cmdlet.WriteEngineError(notFound(p));
        return names.Where(n => Matches(n, patterns));
    }
}
