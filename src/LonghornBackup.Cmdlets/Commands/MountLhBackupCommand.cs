using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;

namespace LonghornBackup.Commands;

/// <summary>
/// Mounts a served backup read-only through the kernel's NBD driver (Linux, root): nbd-client attaches a free
/// /dev/nbdN to the export, then mount -o ro mounts its file system (or one partition) at a folder.
/// </summary>
[Cmdlet(VerbsData.Mount, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupMount))]
public sealed class MountLhBackupCommand : Hosting.LhCmdlet
{
    /// <summary>The export to mount, from Start-LhBackupExport or Get-LhBackupExport.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public BackupExport Export { get; set; } = null!;

    /// <summary>The folder to mount at (it must exist).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = "";

    /// <summary>The NBD device to use; default the first free /dev/nbdN.</summary>
    [Parameter]
    public string? Device { get; set; }

    /// <summary>Mount this partition of the image (1 for /dev/nbd0p1) instead of the whole device.</summary>
    [Parameter]
    [ValidateRange(1, 128)]
    public int? Partition { get; set; }

    /// <summary>The file system type for mount -t; default mount's detection.</summary>
    [Parameter]
    public string? FileSystemType { get; set; }

    /// <summary>More mount options (ro is always set).</summary>
    [Parameter]
    public string[]? Option { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        ForItem("MountBackup", Export.Name, () =>
        {
            NbdMounter.EnsureAvailable();
            if (!Directory.Exists(path))
                throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.InvalidOperation, $"The mount point '{path}' is not a folder.", path,
                    "Create the folder first.");
            string device = Device ?? NbdMounter.FindFreeDevice();
            var session = Export.Session;
            var connect = NbdMountCommands.Connect(session.Endpoint, Export.Name, device);
            string mounted = NbdMountCommands.PartitionDevice(device, Partition);
            var mount = NbdMountCommands.Mount(mounted, path, FileSystemType, Option);
            if (!ShouldProcess(path, $"{NbdMountCommands.Show(NbdMountCommands.NbdClient, connect)}; {NbdMountCommands.Show("mount", mount)}")) return;
            NbdMounter.Run(NbdMountCommands.NbdClient, connect);
            try
            {
                WaitForDevice(mounted);
                NbdMounter.Run("mount", mount);
            }
            catch
            {
                try { NbdMounter.Run(NbdMountCommands.NbdClient, NbdMountCommands.Disconnect(device)); }
                catch (LonghornBackupException e) { WriteWarning(e.Message); }
                throw;
            }
            WriteObject(new BackupMount
            {
                Path = path, Device = mounted, ExportName = Export.Name, Uri = Export.Uri,
                VolumeName = Export.VolumeName, BackupName = Export.BackupName,
            });
        });
    }

    /// <summary>The kernel scans partitions after nbd-client returns; give it a few seconds.</summary>
    private static void WaitForDevice(string device)
    {
        for (int i = 0; i < 50 && !File.Exists(device); i++) Thread.Sleep(100);
        if (!File.Exists(device))
            throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.InvalidOperation,
                $"The device '{device}' did not appear: the image may have no such partition.", device, "Check the partitions with 'fdisk -l' on the NBD device.");
    }
}
