using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Hosting;

/// <summary>
/// Base of every LonghornBackup cmdlet: target resolution, engine calls with progress and Ctrl+C, and mapping of
/// engine errors to ErrorRecords. Cmdlets stay thin: bind parameters, call the engine, write output objects.
/// </summary>
public abstract class LhCmdlet : PSCmdlet
{
    private EngineRunner? _runner;

    internal TargetRegistry Registry { get; } = new();

    /// <summary>Resolves a PowerShell path (relative to the current location, ~ expanded) to a file-system path.</summary>
    internal string ResolvePath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// The named target's store. Failing to resolve it (not set, unreachable, bad URL) ends the command:
    /// no item can succeed without it.
    /// </summary>
    internal (BackupTargetDefinition Definition, Backupstore Store) OpenTarget(string name)
    {
        try
        {
            var definition = Registry.Get(name);
            return (definition, Backupstore.Open(TargetUrl.Parse(definition.Url)));
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;   // not reached: ThrowTerminatingError throws
        }
    }

    internal T RunEngine<T>(Func<IProgress<OperationProgress>, CancellationToken, Task<T>> operation)
    {
        _runner ??= new EngineRunner(this);
        return _runner.Run(operation);
    }

    /// <summary>Runs a quick engine call (listing, loading) with Ctrl+C support but no progress.</summary>
    internal T RunQuick<T>(Func<CancellationToken, Task<T>> operation)
    {
        _runner ??= new EngineRunner(this);
        return _runner.Run((_, ct) => operation(ct));
    }

    protected override void StopProcessing() => _runner?.Cancel();

    protected override void EndProcessing()
    {
        _runner?.Dispose();
        _runner = null;
    }

    /// <summary>A per-item failure: reported, and the cmdlet goes on with the next item.</summary>
    internal void WriteEngineError(LonghornBackupException e) => WriteError(ErrorMapping.ToErrorRecord(e));

    /// <summary>A failure that ends the command (setup errors such as no target).</summary>
    internal void ThrowEngineError(LonghornBackupException e) => ThrowTerminatingError(ErrorMapping.ToErrorRecord(e));

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
