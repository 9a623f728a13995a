using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Completion;

/// <summary>
/// Shared shape of the completers that list names on a target: the target comes from the command line's -Target (or
/// "default") and is opened as the cmdlets open it (<see cref="SavedTarget"/>: its endpoint and credentials too). The
/// whole completion is bounded in time, so Tab never hangs on a slow or unreachable store (or a hung mount, which no
/// cancellation reaches), and a failure completes nothing rather than throwing into the user's prompt.
/// </summary>
public abstract class StoreNameCompleter : IArgumentCompleter
{
    /// <summary>How long Tab may wait for names in all.</summary>
    internal static readonly TimeSpan Budget = TimeSpan.FromSeconds(2.5);
    /// <summary>Time limit of one S3 request, without retries: a listing that takes longer is not worth the wait.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string targetName = fakeBoundParameters["Target"] as string is { Length: > 0 } named ? named : TargetRegistry.DefaultName;
        var cts = new CancellationTokenSource(Budget);
        var listing = Task.Run(() => ListOnTargetAsync(targetName, fakeBoundParameters, cts.Token));
        // The listing may outlive the wait below: its token source ends with it, and its failure is observed there.
        _ = listing.ContinueWith(t => { cts.Dispose(); _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        IReadOnlyList<string> names;
        try
        {
            if (!listing.Wait(Budget)) return Array.Empty<CompletionResult>();
            names = listing.Result;
        }
        catch (AggregateException)
        {
            return Array.Empty<CompletionResult>();
        }
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return names.Where(n => pattern.IsMatch(n))
                    .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n))
                    .ToList();
    }

    private async Task<IReadOnlyList<string>> ListOnTargetAsync(string targetName, IDictionary boundParameters, CancellationToken ct)
    {
        var definition = new TargetRegistry().Find(targetName);
        if (definition is null) return Array.Empty<string>();
        using var store = SavedTarget.Open(definition, SavedTarget.Options(null, RequestTimeout));
        return await ListAsync(store, boundParameters, ct).ConfigureAwait(false);
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

/// <summary>
/// Completes the snapshot names of the target's backups (Get-LhBackup -SnapshotName): those of the -VolumeName on the
/// command line, or of every volume, each name once. Reads each backup's cfg, within the completers' time bound.
/// </summary>
public sealed class BackupSnapshotNameCompleter : StoreNameCompleter
{
    private protected override async Task<IReadOnlyList<string>> ListAsync(Backupstore store, IDictionary boundParameters, CancellationToken ct)
    {
        var volumes = boundParameters["VolumeName"] switch
        {
            string v => new[] { v },
            string[] vs => vs,
            _ => (await store.ListVolumeNamesAsync(ct).ConfigureAwait(false)).ToArray(),
        };
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var v in volumes.Where(v => !WildcardPattern.ContainsWildcardCharacters(v)))
            foreach (var backup in await store.ListBackupsAsync(v, null, ct).ConfigureAwait(false))
                if (backup.Config is { SnapshotName.Length: > 0 } cfg) names.Add(cfg.SnapshotName);
        return names.ToList();
    }
}
