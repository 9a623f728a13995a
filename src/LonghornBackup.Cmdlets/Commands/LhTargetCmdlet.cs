using System.Management.Automation;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Base of the cmdlets that work on a backup target: the common -Target parameter.</summary>
public abstract class LhTargetCmdlet : LhCmdlet
{
    /// <summary>Name of the backup target (see Get-LhBackupTarget). Binds from piped Backup and BackupVolume objects.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    [AllowNull, AllowEmptyString]
    public string Target
    {
        get => _target;
        // Piped objects without a target (a FileInfo's Target is null) mean the default target.
        set => _target = string.IsNullOrEmpty(value) ? TargetRegistry.DefaultName : value;
    }

    private string _target = TargetRegistry.DefaultName;
}
