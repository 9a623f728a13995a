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
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
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

    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        var (target, store) = OpenTarget(Target);
        string what = $"volume '{VolumeName}', snapshot '{SnapshotName}' from {path}";
        string action = $"{BackupMode} backup to {target.Url}";
        if (IsWhatIf)
        {
            // A dry run users can plan with: read, hash and compress as a real run would, write nothing.
            ForItem("NewBackup", VolumeName, () =>
            {
                var plan = Run(path, store, dryRun: true);
                var c = plan.Counters;
                ShouldProcess($"{what}: would upload {c.BlocksUploaded} blocks, {Sizes.Format(c.NewlyUploadedDataSize)} new to the store" +
                              (c.ReUploadedDataSize > 0 ? $" and {Sizes.Format(c.ReUploadedDataSize)} re-uploaded" : ""), action);
                WriteObject(new BackupPlan
                {
                    VolumeName = VolumeName,
                    SnapshotName = SnapshotName,
                    BackupMode = plan.Backup.Mode == "full" ? "Full" : "Incremental",
                    Target = target.Name,
                    Size = plan.Backup.Size,
                    BlockCount = plan.Backup.Blocks.Count,
                    BlocksToUpload = c.BlocksUploaded,
                    NewlyUploadedDataSize = c.NewlyUploadedDataSize,
                    ReUploadedDataSize = c.ReUploadedDataSize,
                    CompressionMethod = plan.Backup.CompressionMethod,
                    BlockSize = plan.Backup.BlockSize ?? 0,
                });
            });
            return;
        }
        if (!ShouldProcess(what, action)) return;
        ForItem("NewBackup", VolumeName, () =>
        {
            var result = Run(path, store, dryRun: false);
            foreach (var warning in result.Warnings) WriteWarning(warning);
            WriteVerbose($"Backup {result.Backup.Name}: {result.Counters.BlocksUploaded} blocks uploaded, {result.Counters.ExistingBlocksSkipped} already in the store, {result.Counters.ZeroBlocksSkipped} zero blocks skipped.");
            WriteObject(OutputMapper.ToBackup(result.Backup, result.Volume, result.Url, target.Name));
        });
    }

    private bool IsWhatIf =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? ((SwitchParameter)w).IsPresent
            : SessionState.PSVariable.GetValue("WhatIfPreference") is { } pref && LanguagePrimitives.IsTrue(pref);

    private BackupResult Run(string path, Engine.Catalog.Backupstore store, bool dryRun)
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
            Concurrency = Concurrency,
            DryRun = dryRun,
        };
        return RunEngine((progress, ct) => new BackupEngine(store).RunAsync(request, progress, ct));
    }

    private static Engine.Errors.LonghornBackupException InvalidBlockSize(long size)
    {
        try { BlockSizes.Validate(size); } catch (Engine.Errors.LonghornBackupException e) { return e; }
        throw new InvalidOperationException();
    }
}
