using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Statistics;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Statistics of backup volumes and backups, from their cfgs and a listing of each block pool (no block is read):
/// data, stored bytes, deduplication and compression, and per backup what removing it would free.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "LhBackup", DefaultParameterSetName = ByVolume)]
[OutputType(typeof(BackupVolumeStatistics), ParameterSetName = new[] { ByVolume })]
[OutputType(typeof(BackupStatistics), ParameterSetName = new[] { ByVolume, ByBackup })]
public sealed class MeasureLhBackupCommand : LhTargetCmdlet
{
    private const string ByVolume = "Volume";
    private const string ByBackup = "Backup";

    /// <summary>Volume names; wildcards allowed; all volumes when omitted. Binds from piped BackupVolume objects.</summary>
    [Parameter(Position = 0, ParameterSetName = ByVolume, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
    public string[]? VolumeName { get; set; }

    /// <summary>Backup names (wildcards allowed): one BackupStatistics per backup instead of one object per volume.</summary>
    [Parameter(Position = 1, ParameterSetName = ByVolume)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.BackupNameCompleter))]
    public string[]? BackupName { get; set; }

    /// <summary>Backups from Get-LhBackup: one BackupStatistics each (each volume is measured once).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByBackup, ValueFromPipeline = true)]
    public Backup[] InputObject { get; set; } = Array.Empty<Backup>();

    // Piped backups, grouped by target and volume, measured in EndProcessing so a volume is measured once.
    private readonly List<Backup> _piped = new();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByBackup) { _piped.AddRange(InputObject); return; }

        var (target, store) = OpenTarget(Target);
        var volumes = RunOrStop(ct => store.ListVolumeNamesAsync(ct));
        foreach (var volume in Selection.Filter(volumes, VolumeName, this, name =>
                     new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                         $"The backup volume '{name}' does not exist on the backup target '{target.Name}' ({target.Url}).", name)))
        {
            ForItem("MeasureBackupVolume", volume, () =>
            {
                var stats = Measure(store, volume);
                if (BackupName is null) { WriteObject(StatisticsMapper.ToOutput(stats, target.Name)); return; }
                var names = stats.Backups.Select(b => b.BackupName).ToList();
                foreach (var name in Selection.Filter(names, BackupName, this, n => NotFound(volume, n)))
                    WriteObject(StatisticsMapper.ToOutput(stats.Backups.First(b => b.BackupName == name), target.Name));
            });
        }
    }

    protected override void EndProcessing()
    {
        foreach (var group in _piped.GroupBy(b => (Target: string.IsNullOrEmpty(b.Target) ? Target : b.Target, b.VolumeName)))
        {
            var (target, store) = OpenTarget(group.Key.Target);
            ForItem("MeasureBackup", group.Key.VolumeName, () =>
            {
                var stats = Measure(store, group.Key.VolumeName);
                foreach (var backup in group)
                {
                    var found = stats.Backups.FirstOrDefault(b => b.BackupName == backup.Name);
                    if (found is null) WriteEngineError(NotFound(group.Key.VolumeName, backup.Name));
                    else WriteObject(StatisticsMapper.ToOutput(found, target.Name));
                }
            });
        }
        base.EndProcessing();
    }

    private VolumeStatistics Measure(Backupstore store, string volume)
    {
        var stats = RunEngine((progress, ct) => store.MeasureVolumeAsync(volume, progress, ct));
        if (stats.UnreadableBackups > 0)
            WriteWarning($"{stats.UnreadableBackups} backup(s) of volume '{volume}' could not be read: the blocks only they use count as unreferenced, and backups sharing blocks with them may show more exclusive bytes than removing them would free.");
        return stats;
    }

    private static LonghornBackupException NotFound(string volume, string name) =>
        new(ErrorIds.BackupNotFound, ErrorKind.NotFound, $"The backup '{name}' does not exist in the backup volume '{volume}'.", name);
}
