using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Removes backups and frees the blocks no remaining backup uses, as Longhorn does. Backups piped from Get-LhBackup
/// are collected and removed per volume with one garbage-collection pass; -KeepLast applies a retention rule.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(BackupRemoval))]
public sealed class RemoveLhBackupCommand : LhTargetCmdlet
{
    private const string ByName = "ByName", Retention = "Retention";
    private readonly Dictionary<(string Target, string Volume), List<string>> _pending = new();

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = Retention, ValueFromPipelineByPropertyName = true)]
    public string VolumeName { get; set; } = "";

    /// <summary>Backup names (no wildcards: removal is exact). Binds from piped Backup objects.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Keep this many of the newest finished backups of the volume and remove the older ones.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepLast { get; set; }

    /// <summary>With -KeepLast: count and remove only backups carrying all these labels (e.g. @{ RecurringJob = 'daily' }).</summary>
    [Parameter(ParameterSetName = Retention)]
    public Hashtable? Label { get; set; }

    /// <summary>Remove without asking for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait while a backup or restore holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    /// <summary>Emit a BackupRemoval object per volume.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == Retention) { PlanRetention(); return; }
        foreach (var name in Name)
        {
            if (!Confirmation.ShouldRemove(this, Force, $"backup '{name}' of volume '{VolumeName}' on target '{Target}'",
                    "Remove backup (blocks no other backup uses are deleted)"))
                continue;
            Pending(Target, VolumeName).Add(name);
        }
    }

    private void PlanRetention()
    {
        var (target, store) = OpenTarget(Target);
        var filter = LabelsOf(Label);
        ForItem("RemoveBackup", VolumeName, () =>
        {
            var listings = RunQuick(ct => store.ListBackupsAsync(VolumeName, null, ct));
            if (listings.Count == 0 && RunQuick(ct => store.LoadVolumeAsync(VolumeName, ct)) is null)
                throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                    $"The backup volume '{VolumeName}' does not exist on the backup target '{target.Name}' ({target.Url}).", VolumeName,
                    "List the volumes with Get-LhBackupVolume.");
            var plan = RetentionPlanner.Plan(listings, KeepLast, filter);
            foreach (var ignored in plan.Ignored.Where(b => b.Error is not null))
                WriteWarning($"Backup '{ignored.BackupName}' of volume '{VolumeName}' cannot be read ({ignored.Error!.Message}); retention neither counts nor removes it.");
            WriteVerbose($"Volume '{VolumeName}': keeping {plan.Keep.Count} backup(s) ({string.Join(", ", plan.Keep.Select(b => b.BackupName))}), removing {plan.Delete.Count}.");
            foreach (var b in plan.Delete)
            {
                if (Confirmation.ShouldRemove(this, Force, $"backup '{b.BackupName}' of volume '{VolumeName}' on target '{target.Name}'",
                        $"Remove backup (retention: keep the newest {KeepLast})"))
                    Pending(target.Name, VolumeName).Add(b.BackupName);
            }
        });
    }

    private List<string> Pending(string target, string volume)
    {
        if (!_pending.TryGetValue((target, volume), out var names)) _pending[(target, volume)] = names = new List<string>();
        return names;
    }

    protected override void EndProcessing()
    {
        using var overall = new VolumeProgress(this, "Removing backups", _pending.Count);
        foreach (var ((targetName, volume), names) in _pending)
        {
            int parent = overall.Next(volume);
            var (target, store) = OpenTarget(targetName);
            ForItem("RemoveBackup", volume, () =>
            {
                var result = RunEngine((progress, ct) =>
                    new BackupDeleter(store).DeleteAsync(volume, names, LockTimeouts.FromSeconds(LockTimeout), progress, ct), parent);
                foreach (var missing in result.NotFound)
                    WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                        $"The backup '{missing}' of volume '{volume}' does not exist on the backup target '{target.Name}'.", missing,
                        $"List the backups with Get-LhBackup -VolumeName {volume}."));
                foreach (var warning in result.Warnings) WriteWarning(warning);
                if (result.Deleted.Count == 0) return;
                if (!result.BlocksCollected)
                    WriteWarning($"Removed {result.Deleted.Count} backup(s) of '{volume}' but freed no blocks: {result.CollectionSkippedReason}. A later removal frees them, as in Longhorn.");
                WriteVerbose($"Volume '{volume}': removed {string.Join(", ", result.Deleted)}; {result.BlocksDeleted} block(s) freed, {result.BlockCount} left; latest backup now '{result.LastBackupName}'.");
                if (PassThru) WriteObject(LifecycleOutput.ToRemoval(result, target.Name));
            });
        }
        _pending.Clear();
        base.EndProcessing();
    }
}
