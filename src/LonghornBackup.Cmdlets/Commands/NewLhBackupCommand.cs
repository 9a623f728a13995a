using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Format;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Backs up a volume snapshot (a raw image file or block device) to the backup target.</summary>
[Cmdlet(VerbsCommon.New, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Backup))]
public sealed class NewLhBackupCommand : LhTargetCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string VolumeName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public string SnapshotName { get; set; } = "";

    /// <summary>The snapshot's data: a raw image file or a block device.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Incremental", "Full", IgnoreCase = true)]
    public string BackupMode { get; set; } = "Incremental";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Labels")]
    public Hashtable? Label { get; set; }

    [Parameter]
    [ValidateSet("lz4", "gzip", "none", IgnoreCase = true)]
    public string? CompressionMethod { get; set; }

    /// <summary>2MB (2097152, any Longhorn) or 16MB (16777216, Longhorn 1.10+); fixed per backup volume.</summary>
    [Parameter]
    public long? BlockSize { get; set; }

    /// <summary>Backup name; Longhorn's backup-&lt;16 hex&gt; is generated when omitted.</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Blocks hashed, compressed and uploaded at once; default: the target's -MaxConcurrentUploads (8 for S3), else one per core.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        var (target, store) = OpenTarget(Target);
        if (!ShouldProcess($"volume '{VolumeName}', snapshot '{SnapshotName}' from {path}", $"{BackupMode} backup to {target.Url}"))
            return;
        ForItem("NewBackup", VolumeName, () =>
        {
            using var source = RawImageSource.Open(path);
            var request = new BackupRequest
            {
                VolumeName = VolumeName,
                SnapshotName = SnapshotName,
                Source = source,
                Mode = string.Equals(BackupMode, "Full", StringComparison.OrdinalIgnoreCase) ? Engine.Format.BackupMode.Full : Engine.Format.BackupMode.Incremental,
                Labels = LabelArguments.ToDictionary(Label),
                CompressionMethod = CompressionMethod?.ToLowerInvariant(),
                BlockSize = BlockSize is long b ? (b is > 0 and <= int.MaxValue ? (int)b : throw InvalidBlockSize(b)) : null,
                BackupName = Name,
                Concurrency = Concurrency ?? target.UploadConcurrency(),
            };
            var result = RunEngine((progress, ct) => new BackupEngine(store).RunAsync(request, progress, ct));
            foreach (var warning in result.Warnings) WriteWarning(warning);
            Say($"Backup {result.Backup.Name}: {result.Counters.BlocksUploaded} blocks uploaded, {result.Counters.ExistingBlocksSkipped} already in the store, {result.Counters.ZeroBlocksSkipped} zero blocks skipped.");
            WriteObject(OutputMapper.ToBackup(result.Backup, result.Volume, result.Url, target.Name));
        });
    }

    private static Engine.Errors.LonghornBackupException InvalidBlockSize(long size)
    {
        try { BlockSizes.Validate(size); } catch (Engine.Errors.LonghornBackupException e) { return e; }
        throw new InvalidOperationException();
    }
}
