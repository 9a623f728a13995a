using System.Management.Automation;
using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Turns Backup, BackupVolume and BackupTarget objects into Longhorn's custom resources (longhorn.io/v1beta2) as
/// YAML, with spec and status filled as Longhorn fills them. All input objects make one multi-document string,
/// documents separated by "---"; with -Path it is written to a file instead.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "LhManifest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(string))]
public sealed class ConvertToLhManifestCommand : LhCmdlet
{
    private readonly List<object> _items = new();

    /// <summary>Objects from Get-LhBackup, New-LhBackup, Get-LhBackupVolume or Get-LhBackupTarget.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object[] InputObject { get; set; } = Array.Empty<object>();

    /// <summary>Writes the YAML to this file (UTF-8, no BOM) instead of the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With -Path: do not overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var raw in InputObject)
        {
            object? item = raw is PSObject pso ? pso.BaseObject : raw;
            if (item is Backup or BackupVolume or BackupTarget) _items.Add(item);
            else
                WriteError(new ErrorRecord(
                    new ArgumentException($"A {item?.GetType().Name ?? "null"} has no Longhorn custom resource: give Backup, BackupVolume or BackupTarget objects (from Get-LhBackup, Get-LhBackupVolume, Get-LhBackupTarget)."),
                    ErrorIds.ManifestInputNotSupported, ErrorCategory.InvalidArgument, raw));
        }
    }

    protected override void EndProcessing()
    {
        try
        {
            if (_items.Count == 0) return;
            string yaml = Render(_items);
            if (Path is null)
            {
                WriteObject(yaml);
                return;
            }
            string path = ResolvePath(Path);
            if (!ShouldProcess(path, $"Write {_items.Count} Longhorn manifest(s)")) return;
            if (NoClobber && File.Exists(path))
            {
                WriteError(new ErrorRecord(new IOException($"The file '{path}' exists and -NoClobber was given."),
                    ErrorIds.ManifestFileExists, ErrorCategory.ResourceExists, path));
                return;
            }
            try
            {
                File.WriteAllText(path, yaml, new UTF8Encoding(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(ErrorMapping.Unexpected(e, "WriteManifest", path));
            }
        }
        finally
        {
            base.EndProcessing();
        }
    }

    private static string Render(List<object> items) =>
        ManifestMapper.Write(items.Select(ManifestMapper.ToResource).Where(r => r is not null)!);
}
