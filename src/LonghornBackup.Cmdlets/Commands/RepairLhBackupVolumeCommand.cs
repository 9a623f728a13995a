using System.Management.Automation;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Clears away what interrupted runs left in backup volumes (backups left in progress by runs that died, stale locks,
/// temporary files of unfinished writes) and then frees the blocks no backup uses, under Longhorn's deletion lock.
/// Repair, as Repair-Volume repairs a file system: the volume works as before, only garbage collection was stuck. It
/// does not mend corrupt blocks (a full backup does; Test-LhBackup -Deep finds them).
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "LhBackupVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(BackupVolumeRepair))]
public sealed class RepairLhBackupVolumeCommand : LhTargetCmdlet
{
    private readonly HashSet<(string Target, string Volume)> _done = new();

    /// <summary>Volume names (no wildcards); every volume of the target when omitted. Binds from piped volumes and backups.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    public string[]? VolumeName { get; set; }

    /// <summary>A backup left in progress, or a temporary file, at least this old belongs to a run that died (default one day).</summary>
    [Parameter]
    [DurationArgument]
    public TimeSpan? InProgressOlderThan { get; set; }

    /// <summary>Repair without asking for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait while a backup or restore holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    protected override void ProcessRecord()
    {
        var (target, store) = OpenTarget(Target);
        var volumes = VolumeName is { Length: > 0 } ? VolumeName : RunOrStop(ct => store.ListVolumeNamesAsync(ct)).ToArray();
        var repairer = new VolumeRepairer(store, Locking);
        var cleanup = new LeftoverCleanup { InProgressOlderThan = InProgressOlderThan ?? LeftoverCleanup.DefaultAge };
        foreach (var volume in volumes)
        {
            if (!_done.Add((target.Name, volume))) continue;   // several piped backups of one volume: one repair
            ForItem("RepairBackupVolume", volume, () =>
            {
                // Found without the lock, to ask about and to show under -WhatIf; the repair looks again under the lock.
                var found = RunQuick(ct => repairer.FindAsync(volume, cleanup, ct));
                var confirmed = new HashSet<string>(StringComparer.Ordinal);
                foreach (var l in found)
                {
                    if (Confirmation.ShouldRemove(this, Force,
                            $"{LeftoverKinds.NounOf(l.Kind)} '{l.Name}' of backup volume '{volume}' on target '{target.Name}' ({l.Detail})",
                            "Remove what an interrupted run left"))
                        confirmed.Add(l.Key);
                }
                bool collect = Confirmation.ShouldRemove(this, Force,
                    $"blocks of backup volume '{volume}' on target '{target.Name}' that no backup uses", "Free the blocks (garbage collection)");
                if (Confirmation.IsWhatIf(this) || (confirmed.Count == 0 && !collect)) return;

                // With -Force whatever the lock finds goes; otherwise only what was confirmed.
                var approved = cleanup with { Approve = Force ? null : l => confirmed.Contains(l.Key) };
                var result = RunEngine((progress, ct) =>
                    repairer.RepairAsync(volume, approved, collect, LockTimeouts.FromSeconds(LockTimeout), progress, ct));
                foreach (var error in result.Leftovers.Errors) WriteEngineError(error);
                foreach (var warning in result.Warnings) WriteWarning(warning);
                foreach (var l in result.Leftovers.Removed)
                    WriteVerbose($"Volume '{volume}': removed {LeftoverKinds.NounOf(l.Kind)} '{l.Name}' ({l.Detail}).");
                foreach (var l in result.Leftovers.NotConfirmed)
                    WriteVerbose($"Volume '{volume}': left {LeftoverKinds.NounOf(l.Kind)} '{l.Name}' in place ({l.Detail}): not confirmed.");
                if (collect && !result.BlocksCollected)
                    WriteWarning($"Backup volume '{volume}' freed no blocks: {result.CollectionSkippedReason}.");
                WriteObject(LifecycleOutput.ToRepair(result, target.Name));
            });
        }
    }
}
