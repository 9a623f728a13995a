using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Stops NBD exports: closes their clients and socket, releases the volumes' locks.</summary>
[Cmdlet(VerbsLifecycle.Stop, "LhBackupExport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ById)]
[OutputType(typeof(BackupExport))]
public sealed class StopLhBackupExportCommand : LhCmdlet
{
    private const string ById = "ById", AllSet = "All";
    private readonly List<int> _ids = new();

    /// <summary>The export to stop; binds from the objects Start-/Get-LhBackupExport emit.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>Stop every export of this session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>Emit the stopped exports (State Stopped, with their final counters).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == AllSet) _ids.AddRange(ExportRegistry.All.Select(s => s.Id));
        else _ids.AddRange(Id);
    }

    protected override void EndProcessing()
    {
        foreach (int id in _ids.Distinct())
        {
            if (ExportRegistry.Get(id) is not { } session)
            {
                WriteEngineError(new LonghornBackupException(ErrorIds.ExportNotFound, ErrorKind.NotFound,
                    $"No running export has the id {id}.", id, "List the running exports with Get-LhBackupExport."));
                continue;
            }
            if (!ShouldProcess(session.Endpoint.ToString(), $"Stop export {id} ({string.Join(", ", session.Exports.Select(e => e.Name))})")) continue;
            session.StopAsync().GetAwaiter().GetResult();
            foreach (var warning in session.DrainWarnings()) WriteWarning(warning);
            if (PassThru) foreach (var export in BackupExport.Of(session)) WriteObject(export);
        }
        base.EndProcessing();
    }
}
