using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Lists backups on the target, per volume oldest first (in-progress ones last): all, or by volume, name, labels, snapshot,
/// creation time, or the newest N.
/// </summary>
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

    /// <summary>Only backups of these snapshots; wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.BackupSnapshotNameCompleter))]
    public string[]? SnapshotName { get; set; }

    /// <summary>Only the newest N completed backups of each volume (after the other filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Latest { get; set; }

    /// <summary>Only backups created after this time (a time without a zone is local).</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Only backups created before this time (a time without a zone is local).</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    protected override void ProcessRecord()
    {
        var (target, store) = OpenTarget(Target);
        var filter = new BackupFilter
        {
            Labels = LabelsOf(Label),
            SnapshotNames = SnapshotName,
            After = BackupFilter.ToUtc(After),
            Before = BackupFilter.ToUtc(Before),
            Latest = Latest,
        };
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
                    if (b.Error is not null) WriteEngineError(b.Error);
                foreach (var b in filter.Apply(listings))
                {
                    foundNames.Add(b.BackupName);
                    WriteObject(OutputMapper.ToBackup(b.Config!, config, b.Url, target.Name));
                }
            });
        }
        foreach (var name in Name ?? Array.Empty<string>())
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !foundNames.Contains(name) && !filter.NarrowsByContent)
                WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup named '{name}' was found on the backup target '{target.Name}'.", name,
                    "List the backups with Get-LhBackup."));
        }
    }
}
