using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Lists backups on the target: all, by volume, by name, or by labels.</summary>
[Cmdlet(VerbsCommon.Get, "LhBackup")]
[OutputType(typeof(Backup))]
public sealed class GetLhBackupCommand : LhTargetCmdlet
{
    /// <summary>Volume names; wildcards allowed. Binds from piped BackupVolume objects.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
    public string[]? VolumeName { get; set; }

    /// <summary>Backup names; wildcards allowed.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [Alias("BackupName")]
    [ArgumentCompleter(typeof(Completion.BackupNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only backups carrying all of these labels with these values.</summary>
    [Parameter]
    public Hashtable? Label { get; set; }

    protected override void ProcessRecord()
    {
        var (target, store) = OpenTarget(Target);
        var labelFilter = LabelsOf(Label);
        var volumes = RunOrStop(ct => store.ListVolumeNamesAsync(ct));
        var foundNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var volume in Selection.Filter(volumes, VolumeName, this, name =>
                     new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                         $"The backup volume '{name}' does not exist on the backup target '{target.Name}' ({target.Url}).", name,
                         "List the volumes with Get-LhBackupVolume.")))
        {
            ForItem("GetBackup", volume, () =>
            {
                var config = RunQuick(ct => store.LoadVolumeAsync(volume, ct));
                var listings = RunQuick(ct => store.ListBackupsAsync(volume, n => Selection.Matches(n, Name), ct));
                foreach (var b in listings)
                {
                    if (b.Error is not null) { WriteEngineError(b.Error); continue; }
                    if (!LabelArguments.Matches(b.Config!.Labels, labelFilter)) continue;
                    foundNames.Add(b.BackupName);
                    WriteObject(OutputMapper.ToBackup(b.Config, config, b.Url, target.Name));
                }
            });
        }
        foreach (var name in Name ?? Array.Empty<string>())
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !foundNames.Contains(name) && labelFilter is null)
                WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup named '{name}' was found on the backup target '{target.Name}'.", name,
                    "List the backups with Get-LhBackup."));
        }
    }
}
