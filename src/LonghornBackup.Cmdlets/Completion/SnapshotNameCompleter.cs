using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using LonghornBackup.Engine.Blocks.Replica;

namespace LonghornBackup.Completion;

/// <summary>
/// Completes -SnapshotName with the snapshots of the -ReplicaPath on the command line (read from its .meta files,
/// which are local and small, so no time bound is needed). Without a readable replica it completes nothing.
/// </summary>
public sealed class SnapshotNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["ReplicaPath"] is not string { Length: > 0 } path) return Array.Empty<CompletionResult>();
        IEnumerable<string> names;
        try
        {
            var replica = ReplicaDirectory.Open(System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(CurrentLocation(), path));
            names = replica.Layers.Keys.Select(ReplicaDirectory.SnapshotNameOf).OfType<string>()
                .Append(ReplicaDirectory.HeadName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        }
        catch (Engine.Errors.LonghornBackupException)
        {
            return Array.Empty<CompletionResult>();
        }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return names.Where(n => pattern.IsMatch(n))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n)).ToList();
    }

    /// <summary>The session's file-system location, where the cmdlet will resolve a relative -ReplicaPath.</summary>
    private static string CurrentLocation()
    {
        // A nested command in the completing runspace: its session state cannot be read directly while completion runs.
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        var location = ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem").Invoke<PathInfo>();
        return location.Count > 0 ? location[0].ProviderPath : Environment.CurrentDirectory;
    }
}
