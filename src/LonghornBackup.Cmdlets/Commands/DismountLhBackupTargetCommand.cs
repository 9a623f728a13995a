using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Unmounts the NFS or CIFS export of a backup target, if this module mounted it (mounts.json beside targets.json
/// records its own mounts). An export someone else mounted is left as it is, with a warning; targets of other kinds
/// have nothing to unmount. The target stays set: the next backup mounts the export again.
/// </summary>
[Cmdlet(VerbsData.Dismount, "LhBackupTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupTarget))]
public sealed class DismountLhBackupTargetCommand : LhCmdlet
{
    /// <summary>Target names; wildcards allowed. Default: the default target.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string[] Name { get; set; } = { Engine.Targets.TargetRegistry.DefaultName };

    /// <summary>Return the target afterwards (its MountedBy shows the result).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            ForItem("DismountBackupTarget", name, () =>
            {
                var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                var matches = Registry.List().Where(t => pattern.IsMatch(t.Name)).ToList();
                if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    throw new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.NotFound, $"No backup target named '{name}' is set.", name);
                foreach (var target in matches)
                {
                    var url = TargetUrl.Parse(target.Url);
                    if (!ShouldProcess($"{target.Name} ({target.Url})", "Unmount the target's export if LonghornBackup mounted it")) continue;
                    var result = url.Driver.Dismount(url, target, SavedTarget.Options(Say));
                    if (result.Outcome == Engine.Store.Drivers.DismountOutcome.LeftMounted) WriteWarning(result.Message);
                    else if (result.Message is not null) Say(result.Message);
                    if (PassThru) WriteObject(TargetOutput.From(target, Registry, available: false));
                }
            });
        }
    }
}
