using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Completion;

/// <summary>
/// Shared shape of the completers that list names on a target: the target comes from the command line's -Target (or
/// "default"), the listing is bounded in time so Tab never hangs on a slow or unreachable store, and failures complete
/// nothing rather than throwing into the user's prompt.
/// </summary>
public abstract class StoreNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string targetName = fakeBoundParameters["Target"] as string ?? TargetRegistry.DefaultName;
        IReadOnlyList<string> names;
        try
        {
            var definition = new TargetRegistry().Find(targetName);
            if (definition is null) return Array.Empty<CompletionResult>();
            var store = Backupstore.Open(TargetUrl.Parse(definition.Url));
            using var cts = new CancellationTokenSource(Budget);
            names = ListAsync(store, fakeBoundParameters, cts.Token).GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return names.Where(n => pattern.IsMatch(n))
                    .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
                    .ToList();
    }

    private protected abstract Task<IReadOnlyList<string>> ListAsync(Backupstore store, IDictionary boundParameters, CancellationToken ct);
}

/// <summary>Completes -VolumeName with the backup volumes on the target (one listing of the volumes folder).</summary>
public sealed class VolumeNameCompleter : StoreNameCompleter
{
    private protected override Task<IReadOnlyList<string>> ListAsync(Backupstore store, IDictionary boundParameters, CancellationToken ct) =>
        store.ListVolumeNamesAsync(ct);
}

/// <summary>Completes backup names: those of the -VolumeName on the command line, or of every volume.</summary>
public sealed class BackupNameCompleter : StoreNameCompleter
{
    private protected override async Task<IReadOnlyList<string>> ListAsync(Backupstore store, IDictionary boundParameters, CancellationToken ct)
    {
        var volumes = boundParameters["VolumeName"] switch
        {
            string v => new[] { v },
            string[] vs => vs,
            _ => (await store.ListVolumeNamesAsync(ct).ConfigureAwait(false)).ToArray(),
        };
        var names = new List<string>();
        foreach (var v in volumes.Where(v => !WildcardPattern.ContainsWildcardCharacters(v)))
            names.AddRange(await store.ListBackupNamesAsync(v, ct).ConfigureAwait(false));
        return names;
    }
}
