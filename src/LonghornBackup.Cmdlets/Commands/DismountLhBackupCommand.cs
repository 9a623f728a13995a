using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;

namespace LonghornBackup.Commands;

/// <summary>Unmounts a backup mounted with Mount-LhBackup and detaches its NBD device. The export keeps serving.</summary>
[Cmdlet(VerbsData.Dismount, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
public sealed class DismountLhBackupCommand : Hosting.LhCmdlet
{
    /// <summary>The mount point; binds from Mount-LhBackup's output.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        ForItem("DismountBackup", path, () =>
        {
            string device = NbdMounter.FindMountedDevice(path)
                ?? throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.InvalidOperation,
                    $"'{path}' is not a mounted backup: no NBD device is mounted there.", path, "See what is mounted with 'findmnt'.");
            string whole = NbdMounter.WholeDevice(device);
            if (!ShouldProcess(path, $"umount {path}; {NbdMountCommands.Show(NbdMountCommands.NbdClient, NbdMountCommands.Disconnect(whole))}")) return;
            NbdMounter.Run("umount", NbdMountCommands.Unmount(path));
            NbdMounter.Run(NbdMountCommands.NbdClient, NbdMountCommands.Disconnect(whole));
        });
    }
}
