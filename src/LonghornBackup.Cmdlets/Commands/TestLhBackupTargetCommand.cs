using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Tests a backup target as a backup uses it: settings and credentials, reachability (TLS, endpoint, region,
/// bucket), listing, and writing, reading back and deleting a small probe object under backupstore/ (a name
/// Longhorn's listings ignore). Reports the first problem in words, with its ErrorId and what to do.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "LhBackupTarget")]
[OutputType(typeof(BackupTargetTestResult), typeof(bool))]
public sealed class TestLhBackupTargetCommand : LhCmdlet
{
    /// <summary>Target names; wildcards allowed. Default: the default target.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string[] Name { get; set; } = { TargetRegistry.DefaultName };

    /// <summary>Check settings, reachability and listing only; write nothing (for read-only credentials).</summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>Return only $true or $false per target.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>Retries per request: enough to ride out a blip, few enough to give a verdict in seconds.</summary>
    private const int MaxErrorRetry = 2;

    protected override void ProcessRecord()
    {
        IReadOnlyList<BackupTargetDefinition> all;
        try { all = Registry.List(); }
        catch (LonghornBackupException e) { ThrowEngineError(e); return; }

        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = all.Where(t => pattern.IsMatch(t.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteEngineError(new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.NotFound,
                    $"No backup target named '{name}' is set.", name, $"Set it, e.g. Set-LhBackupTarget -Name {name} -Url /mnt/backupstore"));
                if (Quiet) WriteObject(false);
                continue;
            }
            foreach (var target in matches) Test(target);
        }
    }

    private void Test(BackupTargetDefinition target)
    {
        var sources = new List<string>();
        var options = new StoreOpenOptions { Diagnostics = sources.Add, MaxErrorRetry = MaxErrorRetry };
        var result = RunQuick(ct => TargetProbe.TestAsync(target, options, write: !ReadOnly, ct));
        foreach (var line in sources) Say(line);
        foreach (var check in result.Checks)
            Say($"{target.Name}: {check.Name} {(check.Passed ? "passed" : "FAILED")}: {check.Message}");
        if (Quiet)
        {
            WriteObject(result.Available);
            return;
        }
        string kind = "Unknown";
        try { kind = TargetUrl.Parse(target.Url).Kind.ToString(); } catch (LonghornBackupException) { }
        var output = new BackupTargetTestResult
        {
            Name = target.Name,
            Url = target.Url,
            Kind = kind,
            Available = result.Available,
            Problem = result.Problem?.Message,
            ErrorId = result.Problem?.ErrorId,
            RecommendedAction = result.Problem?.RecommendedAction,
            Checks = result.Checks.Select(c => new BackupTargetCheck { Name = c.Name, Passed = c.Passed, Message = c.Message }).ToArray(),
            Sources = sources.ToArray(),
        };
        output.Describe(TargetProbe.Describe(target, options));
        WriteObject(output);
    }
}
