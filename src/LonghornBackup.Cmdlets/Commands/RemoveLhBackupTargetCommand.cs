using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.S3;
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
                var stored = target.S3() is { ProfileCreatedByModule: true, ProfileName: { } profile } s3 ? (profile, s3.ProfileLocation) : default((string, string?)?);
                string action = "Remove backup target setting (backups on the target are kept)" +
                    (stored is { } p ? $" and the AWS credentials profile '{p.Item1}' holding its keys" : "");
                if (!ShouldProcess(name, action)) return;
                // An export the module mounted is unmounted first; if that fails, the target stays set.
                var url = Engine.Store.TargetUrl.Parse(target.Url);
                if (url.Driver.Dismount(url, target, SavedTarget.Options(Say)).Message is { } said) Say(said);
                Registry.Remove(name);
                if (Engine.Store.Cifs.CifsSecretFile.RemoveIfCreatedByModule(target.GetSettings<Engine.Store.Cifs.CifsTargetSettings>(Engine.Store.Cifs.CifsDriver.KindName)))
                    Say("Removed the Secret file that held the target's CIFS credentials.");
                if (stored is { } removed)
                {
                    S3CredentialProfiles.Remove(removed.Item1, removed.Item2);
                    Say($"Removed the AWS credentials profile '{removed.Item1}'.");
                }
#if NET
                var azure = target.GetSettings<Engine.Store.AzureBlob.AzureBlobTargetSettings>(Engine.Store.AzureBlob.AzureBlobDriver.KindName);
                if (Engine.Store.AzureBlob.AzureBlobSecretFile.RemoveIfCreatedByModule(azure))
                    Say($"Removed {azure!.CredentialSecret!.File}, which held the target's keys.");
#endif
            });
        }
    }
}
