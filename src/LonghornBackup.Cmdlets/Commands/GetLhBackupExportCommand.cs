using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Lists the backups this session serves over NBD, with their URIs and live counters.</summary>
[Cmdlet(VerbsCommon.Get, "LhBackupExport")]
[OutputType(typeof(BackupExport))]
public sealed class GetLhBackupExportCommand : LhCmdlet
{
    /// <summary>Only these exports (the Id Start-LhBackupExport returned).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public int[]? Id { get; set; }

    /// <summary>Only backups whose export name matches (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var sessions = ExportRegistry.All;
        if (Id is not null)
            foreach (int id in Id.Where(i => sessions.All(s => s.Id != i)))
                WriteEngineError(new LonghornBackupException(ErrorIds.ExportNotFound, ErrorKind.NotFound,
                    $"No running export has the id {id}.", id, "List the running exports with Get-LhBackupExport."));
        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var session in sessions.Where(s => Id is null || Id.Contains(s.Id)))
            foreach (var export in BackupExport.Of(session))
                if (patterns is null || patterns.Any(p => p.IsMatch(export.Name))) WriteObject(export);
    }
}
