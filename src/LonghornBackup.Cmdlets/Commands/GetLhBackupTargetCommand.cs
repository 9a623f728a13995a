using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Gets the backup targets set for the current user. Available is a quick check: a folder must exist; an S3 target
/// must answer one listing request within <see cref="AvailabilityTimeout"/> (no retries). Test-LhBackupTarget checks
/// thoroughly and says what is wrong.
/// </summary>
[Cmdlet(VerbsCommon.Get, "LhBackupTarget")]
[OutputType(typeof(BackupTarget))]
public sealed class GetLhBackupTargetCommand : LhCmdlet
{
    /// <summary>Target names; wildcards allowed. All targets when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string[]? Name { get; set; }

    internal static readonly TimeSpan AvailabilityTimeout = TimeSpan.FromSeconds(3);

    private BackupTarget Output(BackupTargetDefinition t) =>
        TargetOutput.From(t, Registry, RunQuick(ct => TargetProbe.IsAvailableAsync(t, AvailabilityTimeout, SavedTarget.Options(null), ct)));

    protected override void ProcessRecord()
    {
        try
        {
            var all = Registry.List();
            if (Name is null || Name.Length == 0)
            {
                foreach (var t in all) WriteObject(Output(t));
                return;
            }
            foreach (var name in Name)
            {
                var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                var matches = all.Where(t => pattern.IsMatch(t.Name)).ToList();
                if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                {
                    WriteEngineError(new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.NotFound,
                        $"No backup target named '{name}' is set.", name, $"Set it, e.g. Set-LhBackupTarget -Name {name} -Url /mnt/backupstore"));
                    continue;
                }
                foreach (var t in matches) WriteObject(Output(t));
            }
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
        }
    }
}
