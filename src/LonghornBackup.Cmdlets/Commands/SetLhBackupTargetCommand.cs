using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Sets (adds or replaces) a named backup target for the current user.</summary>
[Cmdlet(VerbsCommon.Set, "LhBackupTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BackupTarget))]
public sealed class SetLhBackupTargetCommand : LhCmdlet
{
    /// <summary>A path, vfs:///path or file:///path.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupTargetURL")]
    public string Url { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string Name { get; set; } = TargetRegistry.DefaultName;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            TargetRegistry.ValidateName(Name);
            string url = Url;
            // Relative plain paths are relative to PowerShell's location, not the process's working folder.
            if (!url.Contains("://", StringComparison.Ordinal)) url = ResolvePath(url);
            var parsed = TargetUrl.Parse(url);
            if (parsed.Kind == TargetKind.FileSystem && !Directory.Exists(parsed.LocalPath))
                throw new LonghornBackupException(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable,
                    $"The backup target folder '{parsed.LocalPath}' does not exist.", Url,
                    "Create the folder (New-Item -ItemType Directory) or mount the export there first.");
            if (!ShouldProcess($"{Name} -> {parsed.Canonical}", "Set backup target")) return;
            var definition = new BackupTargetDefinition(Name, parsed.Canonical, DateTimeOffset.UtcNow);
            Registry.Set(definition);
            WriteVerbose($"Backup target '{Name}' is {parsed.Canonical} (saved in {Registry.FilePath}).");
            if (PassThru) WriteObject(TargetOutput.From(definition, Registry));
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
        }
    }
}
