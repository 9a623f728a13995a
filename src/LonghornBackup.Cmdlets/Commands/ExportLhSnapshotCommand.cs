using System.Management.Automation;
using LonghornBackup.Engine.Blocks;

namespace LonghornBackup.Commands;

/// <summary>
/// Writes a snapshot of a Longhorn replica directory as a sparse raw image: each sector from the newest layer of the
/// chain that holds it, holes kept as holes.
/// </summary>
[Cmdlet(VerbsData.Export, "LhSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportLhSnapshotCommand : Hosting.LhCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public string ReplicaPath { get; set; } = "";

    /// <summary>The snapshot to export; "volume-head" exports the live head (not a consistent point in time).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.SnapshotNameCompleter))]
    public string SnapshotName { get; set; } = "";

    /// <summary>The image file to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = "";

    /// <summary>Replace an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string replicaPath = ResolvePath(ReplicaPath);
        string output = ResolvePath(Path);
        if (!ShouldProcess(output, $"Export snapshot '{SnapshotName}' of replica '{replicaPath}'")) return;
        ForItem("ExportSnapshot", SnapshotName, () =>
        {
            using var source = BlockSources.Open(new BlockSourceSpec { ReplicaPath = replicaPath, SnapshotName = SnapshotName });
            foreach (var note in Hosting.SourceNotes.For(source)) WriteWarning(note);
            long written = RunEngine((progress, ct) => SnapshotExporter.ExportAsync(source, output, Force, progress, ct));
            Say($"Exported snapshot '{SnapshotName}' ({source.Size} bytes, {written} bytes of data) to {output}.");
            WriteObject(InvokeProvider.Item.Get(new[] { output }, true, true), enumerateCollection: true);
        });
    }
}
