using System.Management.Automation;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Removes a whole backup volume: every backup, every block and the volume record (Longhorn's DeleteBackupVolume).</summary>
[Cmdlet(VerbsCommon.Remove, "LhBackupVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(BackupVolumeRemoval))]
public sealed class RemoveLhBackupVolumeCommand : LhTargetCmdlet
{
    /// <summary>Volume names (no wildcards: removal is exact). Binds from piped BackupVolume objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VolumeName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Remove without asking for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait while a backup or restore holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    /// <summary>Emit a BackupVolumeRemoval object per volume.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var (target, store) = OpenTarget(Target);
        foreach (var name in Name)
        {
            if (!Confirmation.ShouldRemove(this, Force, $"backup volume '{name}' on target '{target.Name}' ({target.Url})",
                    "Remove the volume with all its backups and blocks"))
                continue;
            ForItem("RemoveBackupVolume", name, () =>
            {
                var result = RunEngine((progress, ct) =>
                    new VolumeDeleter(store, Locking).DeleteAsync(name, LockTimeouts.FromSeconds(LockTimeout), progress, ct));
                WriteVerbose($"Removed backup volume '{name}': {result.BackupsDeleted} backup(s), {result.BlocksDeleted} block(s).");
                foreach (var key in result.LeftBehind)
                    WriteWarning($"'{key}' in backup volume '{name}' is not a backup file and was left in place; check and remove it yourself.");
                if (PassThru) WriteObject(LifecycleOutput.ToVolumeRemoval(result, target.Name));
            });
        }
    }
}
