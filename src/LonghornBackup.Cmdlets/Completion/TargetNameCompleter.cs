using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Completion;

/// <summary>Completes -Target with the names of the targets set for this user (reads the local settings file only).</summary>
public sealed class TargetNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<BackupTargetDefinition> targets;
        try { targets = new TargetRegistry().List(); }
        catch (Exception) { yield break; }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        foreach (var t in targets)
            if (pattern.IsMatch(t.Name))
                yield return new CompletionResult(t.Name, t.Name, CompletionResultType.ParameterValue, t.Url);
    }
}
