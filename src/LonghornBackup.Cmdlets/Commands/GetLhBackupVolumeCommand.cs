using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Lists the backup volumes on the target.</summary>
[Cmdlet(VerbsCommon.Get, "LhBackupVolume")]
[OutputType(typeof(BackupVolume))]
public sealed class GetLhBackupVolumeCommand : LhTargetCmdlet
{
    /// <summary>Volume names; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [Alias("VolumeName")]
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var (target, store) = OpenTarget(Target);
        var volumes = RunOrStop(ct => store.ListVolumeNamesAsync(ct));
        var selected = Selection.Filter(volumes, Name, this, name =>
            new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                $"The backup volume '{name}' does not exist on the backup target '{target.Name}' ({target.Url}).", name)).ToList();
        // Read side by side (a store of hundreds of volumes), written in order from this thread.
        IReadOnlyList<VolumeListing> listings = Array.Empty<VolumeListing>();
        ForItem("GetBackupVolume", target.Name, () => listings = RunQuick(ct => store.DescribeVolumesAsync(selected, ct)));
        foreach (var listing in listings)
        {
            if (listing.Config is null) WriteEngineError(listing.Error!);
            else WriteObject(OutputMapper.ToVolume(listing.Config, listing.BackupNames.Count, listing.Url, target.Name));
        }
    }
}
