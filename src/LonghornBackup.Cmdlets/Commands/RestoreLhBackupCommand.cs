using System.Diagnostics;
using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Commands;

/// <summary>Restores a backup to an image file or block device, verifying every block.</summary>
[Cmdlet(VerbsData.Restore, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
[OutputType(typeof(LonghornBackup.RestoreResult))]
public sealed class RestoreLhBackupCommand : LhTargetCmdlet
{
    private const string ByName = "ByName", ByUrl = "ByUrl";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupName")]
    [ArgumentCompleter(typeof(Completion.BackupNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
    public string VolumeName { get; set; } = "";

    /// <summary>A backup URL as Longhorn prints it, e.g. vfs:///mnt/backupstore?backup=backup-0123456789abcdef&amp;volume=pvc-1.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByUrl)]
    public string Url { get; set; } = "";

    /// <summary>The image file or block device to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public string Path { get; set; } = "";

    /// <summary>Overwrite an existing file (or write over a device) without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Blocks fetched at once; default 8 for S3, else one per core (at least two). Verified on up to one worker per core.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    /// <summary>Seconds to wait while a deletion holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, Hosting.LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    /// <summary>
    /// Restore a backup that maps blocks at or beyond the volume's recorded size (a later backup of a smaller image
    /// shrank the record) by making the image as large as the backup needs; without it such a restore fails with
    /// BlocksBeyondVolumeSize and writes nothing.
    /// </summary>
    [Parameter]
    public SwitchParameter IncludeBlocksBeyondVolumeSize { get; set; }

    /// <summary>
    /// Bandwidth limit, in bytes per second, for the data this command moves to or from the target (e.g. 50MB), shared
    /// by all its workers; no limit when omitted.
    /// </summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long? MaxBytesPerSecond { get; set; }

    /// <summary>
    /// A salvage restore: a block missing from the store or failing its checksum on every read is written as zeros
    /// (with a warning) instead of failing the restore; the output lists every such block.
    /// </summary>
    [Parameter]
    public SwitchParameter SkipCorruptBlocks { get; set; }

    protected override void ProcessRecord()
    {
        string output = ResolvePath(Path);
        var (opened, targetName, volume, backup) = Resolve();
        var store = WithBandwidthLimit(opened, MaxBytesPerSecond);
        if (!ShouldProcess(output, $"Restore backup '{backup}' of volume '{volume}'")) return;
        ForItem("RestoreBackup", backup, () =>
        {
            var request = new RestoreRequest
            {
                VolumeName = volume,
                BackupName = backup,
                OutputPath = output,
                Overwrite = Force,
                // Downloads from a network store are latency-bound like uploads: as many in flight as a backup uploads.
                Concurrency = Concurrency ?? store.Url.Driver.DefaultConcurrency,
                LockTimeout = Hosting.LockTimeouts.FromSeconds(LockTimeout),
                IncludeBlocksBeyondVolumeSize = IncludeBlocksBeyondVolumeSize,
                SkipCorruptBlocks = SkipCorruptBlocks,
            };
            var watch = Stopwatch.StartNew();
            var result = RunEngine((progress, ct) => new RestoreEngine(store, Locking).RunAsync(request, progress, ct));
            if (result.BlocksBeyondVolume is { } beyond)
                WriteWarning($"{beyond.Describe()} The image was made {beyond.RequiredSize} bytes to hold every block.");
            Say($"Restored {result.BlocksRestored} distinct blocks ({result.Size} bytes) to {result.OutputPath}.");
            var damaged = result.DamagedBlocks.Select(d => new DamagedBlock
            {
                Offset = d.Offsets[0], Offsets = d.Offsets.ToArray(), Size = d.Size, Checksum = d.Checksum, Reason = d.Kind.ToString(), Detail = d.Detail,
            }).ToArray();
            foreach (var d in damaged)
                WriteWarning($"Block {d.Checksum} is {d.Reason.ToLowerInvariant()}: {d.Size} bytes of zeros written at offset(s) {string.Join(", ", d.Offsets)}.");
            long damagedBytes = damaged.Sum(d => (long)d.Size * d.Offsets.Length);
            if (damaged.Length > 0)
                WriteWarning($"Salvage restore of '{backup}': {damaged.Length} damaged block(s), {damagedBytes} bytes written as zeros; check the file system (fsck) before using the image.");
            WriteObject(new LonghornBackup.RestoreResult
            {
                Path = result.OutputPath,
                Size = result.Size,
                BlocksRestored = result.BlocksRestored,
                BytesDownloaded = result.BytesDownloaded,
                BackupName = backup,
                VolumeName = volume,
                Duration = watch.Elapsed,
                Target = targetName,
                DamagedBlocks = damaged,
                DamagedBytes = damagedBytes,
                File = new FileInfo(result.OutputPath),
            });
        });
    }

    /// <summary>The store, the target's name (empty for a URL no target is set for), the volume and the backup.</summary>
    private (Backupstore Store, string TargetName, string Volume, string Backup) Resolve()
    {
        if (ParameterSetName == ByName) return (OpenTarget(Target).Store, Target, VolumeName, Name);
        var (targetPart, volume, backup) = TargetUrl.SplitBackupUrl(Url);
        if (volume is null || backup is null)
            ThrowEngineError(new LonghornBackupException(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument,
                $"'{Url}' is not a backup URL: it needs the query keys backup and volume.", Url,
                "Use the Url property of a backup from Get-LhBackup."));
        try
        {
            var url = TargetUrl.Parse(targetPart);
            // A registered target with this URL is used as set; otherwise the URL is opened directly (an S3 URL then
            // takes its endpoint and credentials from the environment).
            var registered = Registry.List().FirstOrDefault(t => t.Url == url.Canonical);
            return (registered is not null ? OpenTarget(registered.Name).Store : Open(url, null), registered?.Name ?? "", volume!, backup!);
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;
        }
    }
}
