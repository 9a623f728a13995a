using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Forgets a backup target setting. The backups on the target are not touched. Keys that Set-LhBackupTarget stored
/// for the target under its own profile name (LonghornBackup-&lt;Name&gt;) or Secret file are removed with it; profiles the user named are kept.
/// An NFS or CIFS export the module mounted for the target is unmounted; one mounted by anyone else is left mounted.
/// </summary>
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
                var target = Registry.Find(name)
                    ?? throw new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.NotFound,
                        $"No backup target named '{name}' is set.", name);
                string action = "Remove backup target setting (backups on the target are kept) and any credentials LonghornBackup stored for it";
                if (!ShouldProcess(name, action)) return;
                // An export the module mounted is unmounted first; if that fails, the target stays set.
                var url = Engine.Store.TargetUrl.Parse(target.Url);
                if (url.Driver.Dismount(url, target, SavedTarget.Options(Say)).Message is { } said) Say(said);
                Registry.Remove(name);
                foreach (var removed in url.Driver.ForgetStoredCredentials(target, replacement: null)) Say(removed);
            });
        }
    }
}
