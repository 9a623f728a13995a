using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Hosting;

/// <summary>
/// Base of every LonghornBackup cmdlet: target resolution, engine calls with progress and Ctrl+C, and mapping of
/// engine errors to ErrorRecords. Cmdlets stay thin: bind parameters, call the engine, write output objects.
/// </summary>
public abstract class LhCmdlet : PSCmdlet, IDisposable
{
    private EngineRunner? _runner;
    private readonly Dictionary<string, Backupstore> _opened = new(StringComparer.Ordinal);

    internal TargetRegistry Registry { get; } = new();

    /// <summary>A confirmation prompt of this command was answered (so later ones may be answered by "Yes to All").</summary>
    internal bool ConfirmationAnswered { get; set; }

    /// <summary>Resolves a PowerShell path (relative to the current location, ~ expanded) to a file-system path.</summary>
    internal string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// The named target's store. Failing to resolve it (not set, unreachable, bad URL) ends the command:
    /// no item can succeed without it.
    /// </summary>
    /// <summary>
    /// <paramref name="store"/> held to a bandwidth limit when one is given: one limit for the whole command, shared by
    /// all its workers (and by every item it processes).
    /// </summary>
    internal Backupstore WithBandwidthLimit(Backupstore store, long? maxBytesPerSecond)
    {
        long? limit = maxBytesPerSecond ?? (_targetLimits.TryGetValue(store, out var saved) ? saved : null);   // else the target's own
        if (limit is null) return store;
        _bandwidth ??= new Engine.Pipeline.TokenBucket(limit.Value);
        return store.Throttled(_bandwidth);
    }

    // The saved bandwidth limit of each target store this command opened.
    private readonly Dictionary<Backupstore, long?> _targetLimits = new();

    private Engine.Pipeline.TokenBucket? _bandwidth;

    internal (BackupTargetDefinition Definition, Backupstore Store) OpenTarget(string name)
    {
        try
        {
            var definition = Registry.Get(name);
            var store = Open(TargetUrl.Parse(definition.Url), definition);
            _targetLimits[store] = definition.MaxBytesPerSecond;
            return (definition, store);
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;   // not reached: ThrowTerminatingError throws
        }
    }

    /// <summary>
    /// Opens a target's store once per command (S3 clients are reused across piped items) and tells -Verbose (or
    /// -Debug) where it is and which source supplied its credentials, region and endpoint. Never a secret.
    /// </summary>
    internal Backupstore Open(TargetUrl url, BackupTargetDefinition? definition)
    {
        string cacheKey = (definition?.Name ?? "") + "|" + url.Canonical;
        if (_opened.TryGetValue(cacheKey, out var cached)) return cached;
        var lines = new List<string>();
        var store = SavedTarget.Open(url, definition, SavedTarget.Options(lines.Add));
        _opened[cacheKey] = store;
        foreach (var line in lines) Say(line);
        Say($"Backup target {(definition is null ? "" : $"'{definition.Name}' ")}is {store.Store.Location}.");
        return store;
    }

    /// <summary>
    /// WriteVerbose, except under -Debug without -Verbose, where PowerShell makes a compiled cmdlet's verbose lines
    /// ask "Continue?" (and fail when not interactive): then the line goes to the debug stream.
    /// </summary>
    internal void Say(string text)
    {
        var bound = MyInvocation.BoundParameters;
        if (bound.ContainsKey("Debug") && !bound.ContainsKey("Verbose")) WriteDebug(text);
        else WriteVerbose(text);
    }

    /// <summary>Runs a quick engine call whose failure ends the command (e.g. listing the target's volumes).</summary>
    internal T RunOrStop<T>(Func<CancellationToken, Task<T>> operation)
    {
        try
        {
            return RunQuick(operation);
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;   // not reached
        }
    }

    /// <summary>-Label's hashtable as labels; a value that is not a scalar ends the command (InvalidLabel).</summary>
    internal Dictionary<string, string>? LabelsOf(System.Collections.Hashtable? labels)
    {
        try
        {
            return LabelArguments.ToDictionary(labels);
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;   // not reached
        }
    }

    /// <summary>Releases the stores this command opened (their S3 connections).</summary>
    public void Dispose()
    {
        foreach (var store in _opened.Values) store.Dispose();
        _opened.Clear();
        _runner?.Dispose();
        _runner = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Longhorn's lock timings, with the engine's warnings about a volume's locks (an unreadable lock file ignored and
    /// removed) written as this command's warnings, from the pipeline thread.
    /// </summary>
    internal LockOptions Locking => _locking ??= LockOptions.Default with { Warning = text => _runner?.Warn(text) };

    private LockOptions? _locking;

    internal T RunEngine<T>(Func<IProgress<OperationProgress>, CancellationToken, Task<T>> operation, int? parentActivityId = null)
    {
        _runner ??= new EngineRunner(this);
        return _runner.Run(operation, parentActivityId);
    }

    /// <summary>Runs a quick engine call (listing, loading) with Ctrl+C support but no progress.</summary>
    internal T RunQuick<T>(Func<CancellationToken, Task<T>> operation)
    {
        _runner ??= new EngineRunner(this);
        return _runner.Run((_, ct) => operation(ct));
    }

    /// <summary>
    /// Writes the warnings that exports running in the background queued (broken blocks): their server threads never
    /// write to the host, so the next command of the module does.
    /// </summary>
    protected override void BeginProcessing()
    {
        foreach (var session in Engine.Export.ExportRegistry.All)
            foreach (var warning in session.DrainWarnings()) WriteWarning(warning);
    }

    protected override void StopProcessing() => _runner?.Cancel();

    protected override void EndProcessing()
    {
        _runner?.Dispose();
        _runner = null;
    }

    /// <summary>A per-item failure: reported, and the cmdlet goes on with the next item.</summary>
    internal void WriteEngineError(LonghornBackupException e)
    {
        WarnWhatWasKept(e);
        WriteError(ErrorMapping.ToErrorRecord(e));
    }

    /// <summary>A failure that ends the command (setup errors such as no target).</summary>
    internal void ThrowEngineError(LonghornBackupException e)
    {
        WarnWhatWasKept(e);
        ThrowTerminatingError(ErrorMapping.ToErrorRecord(e));
    }

    /// <summary>
    /// After Ctrl+C, says what the stopped operation kept. The pipeline is stopping then and PowerShell refuses its
    /// streams, so the warning goes straight to the host; -WarningAction (or $WarningPreference) SilentlyContinue or
    /// Ignore still silences it.
    /// </summary>
    private void WarnWhatWasKept(LonghornBackupException e)
    {
        if (e.Cancelled is not { } work) return;
        string text = CancellationWarning.For(work);
        try
        {
            WriteWarning(text);
        }
        catch (PipelineStoppedException)
        {
            var preference = MyInvocation.BoundParameters.TryGetValue("WarningAction", out var bound) ? bound
                : SessionState.PSVariable.GetValue("WarningPreference", ActionPreference.Continue);
            if (preference is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore)) Host.UI.WriteWarningLine(text);
        }
    }

    /// <summary>Runs one item's work; engine errors become non-terminating errors for that item.</summary>
    internal void ForItem(string operation, object? target, Action work)
    {
        try
        {
            work();
        }
        catch (LonghornBackupException e) when (e.ErrorId == ErrorIds.OperationCancelled)
        {
            ThrowEngineError(e);
        }
        catch (LonghornBackupException e)
        {
            WriteEngineError(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorMapping.Unexpected(e, operation, target));
        }
    }
}
