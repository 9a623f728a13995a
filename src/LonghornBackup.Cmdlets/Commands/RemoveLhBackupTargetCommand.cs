using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Forgets a backup target setting. The backups on the target are not touched.</summary>
[Cmdlet(VerbsCommon.Remove, "LhBackupTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveLhBackupTargetCommand : LhCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            ForItem("RemoveBackupTarget", name, () =>
            {
                if (Registry.Find(name) is null)
                    throw new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.NotFound,
                        $"No backup target named '{name}' is set.", name);
                if (ShouldProcess(name, "Remove backup target setting (backups on the target are kept)"))
                    Registry.Remove(name);
            });
        }
    }
}
