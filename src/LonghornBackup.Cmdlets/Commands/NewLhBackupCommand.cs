using System.Collections;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Backs up a volume snapshot (a raw image file or block device) to the backup target, from parameters or from
/// Longhorn Backup manifests (YAML: a file with -Manifest, or text on the pipeline). With a manifest, metadata.name is
/// the backup name, spec.snapshotName the snapshot, spec.backupMode the mode (empty: incremental), spec.labels the
/// labels, spec.backupBlockSize the block size, and the backup-volume / backup-target labels the volume and target.
/// Parameters given on the command line override the manifest: -VolumeName, -SnapshotName, -Name, -BackupMode,
/// -BlockSize and -Target replace the manifest's value, -Label adds to spec.labels (a key in both takes -Label's value).
/// Every document is checked before anything is written; one invalid document stops the whole input.
/// </summary>
// Parameter sets and the pipeline: there is no default set on purpose (PowerShell would settle on it before pipeline
// input arrives, and `Get-Content x.yaml -Raw | New-LhBackup -VolumeName v -Path img` could not reach ManifestText),
// -ManifestText has a type only strings convert to (so objects piped by property name still reach the Image set),
// and -Manifest also binds by property name (a mandatory parameter that cannot come from the pipeline would make
// PowerShell latch onto ManifestText for every piped object).
[Cmdlet(VerbsCommon.New, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Backup), typeof(BackupPlan))]
public sealed class NewLhBackupCommand : LhTargetCmdlet
{
    private const string ImageSet = "Image";
    private const string ReplicaSet = "Replica";
    private const string ManifestFileSet = "ManifestFile";
    private const string ManifestTextSet = "ManifestText";

    private readonly List<string> _manifestTexts = new();
    private readonly List<string> _manifestFiles = new();

    /// <summary>The backup volume. From a replica directory it defaults to the volume its name holds (&lt;volume&gt;-&lt;8 hex&gt;).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ReplicaSet)]
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    public string VolumeName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ReplicaSet)]
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    [ArgumentCompleter(typeof(Completion.SnapshotNameCompleter))]
    public string SnapshotName { get; set; } = "";

    /// <summary>
    /// A Longhorn replica directory: the snapshot named by -SnapshotName (or each manifest's spec.snapshotName) is read
    /// through its layer chain, and an incremental reads only what changed since the last backup's snapshot.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ReplicaSet)]
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    public string ReplicaPath { get; set; } = "";

    /// <summary>The snapshot's data: a raw image file or a block device. With a manifest: the image of every document without a -SnapshotPath entry.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true, ParameterSetName = ImageSet)]
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    [Alias("FullName")]
    public string Path { get; set; } = "";

    /// <summary>A Longhorn Backup manifest file (YAML, one or more documents separated by ---).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ManifestFileSet)]
    [ValidateNotNullOrEmpty]
    public string Manifest { get; set; } = "";

    /// <summary>
    /// Backup manifest YAML, e.g. from Get-Content -Raw. Lines piped one by one (Get-Content without -Raw) are joined.
    /// Only strings bind here (see <see cref="LonghornBackup.ManifestText"/>).
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ManifestTextSet)]
    [AllowEmptyCollection]
    public ManifestText[] ManifestText { get; set; } = Array.Empty<ManifestText>();

    /// <summary>
    /// Fields Longhorn's Backup CRD does not have (a typo such as spec.lables), as kubectl's --validate: Strict (default)
    /// refuses the input with InvalidManifest, Warn applies it without them and warns, Ignore applies it silently.
    /// </summary>
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    [ValidateSet(nameof(ManifestValidation.Strict), nameof(ManifestValidation.Warn), nameof(ManifestValidation.Ignore), IgnoreCase = true)]
    public string Validation { get; set; } = nameof(ManifestValidation.Strict);

    /// <summary>Image per snapshot name for manifests with several snapshots: @{ 'snapshot-name' = '/path/img' }.</summary>
    [Parameter(ParameterSetName = ManifestFileSet)]
    [Parameter(ParameterSetName = ManifestTextSet)]
    public Hashtable? SnapshotPath { get; set; }

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

    /// <summary>Backup name; Longhorn's backup-&lt;16 hex&gt; is generated when omitted (and the manifest names none).</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Blocks hashed, compressed and uploaded at once; default: the target's -MaxConcurrentUploads (8 for S3), else one per core.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    /// <summary>Seconds to wait while a deletion holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    /// <summary>
    /// Bandwidth limit, in bytes per second, for the data this command moves to or from the target (e.g. 50MB), shared
    /// by all its workers; no limit when omitted.
    /// </summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long? MaxBytesPerSecond { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ManifestTextSet:
                // Applied in EndProcessing: the whole input is validated before the first backup.
                _manifestTexts.AddRange(ManifestText.Where(t => t is not null).Select(t => t.Text));
                return;
            case ManifestFileSet:
                _manifestFiles.Add(Manifest);
                return;
            default:
                BackupSnapshot();
                return;
        }
    }

    protected override void EndProcessing()
    {
        try
        {
            if (ParameterSetName is ManifestFileSet or ManifestTextSet) ApplyManifests();
        }
        finally
        {
            base.EndProcessing();
        }
    }

    private void BackupSnapshot()
    {
        var spec = ParameterSetName == ReplicaSet
            ? new BlockSourceSpec { ReplicaPath = ResolvePath(ReplicaPath), SnapshotName = SnapshotName }
            : new BlockSourceSpec { Path = ResolvePath(Path) };
        string volume = VolumeName.Length > 0 ? VolumeName : VolumeFromReplica(spec.ReplicaPath!);
        var (target, store) = OpenTarget(Target);
        string what = $"volume '{volume}', snapshot '{SnapshotName}' from {spec.Path ?? $"replica {spec.ReplicaPath}"}";
        string action = $"{BackupMode} backup to {target.Url}";
        if (!IsWhatIf && !ShouldProcess(what, action)) return;
        var labels = LabelsOf(Label);
        ForItem("NewBackup", volume, () =>
        {
            using var source = BlockSources.Open(spec);
            foreach (var note in SourceNotes.For(source)) WriteWarning(note);
            var request = new BackupRequest
            {
                VolumeName = volume,
                SnapshotName = SnapshotName,
                Source = source,
                Mode = ParseMode(BackupMode),
                Labels = labels,
                CompressionMethod = CompressionMethod?.ToLowerInvariant(),
                BlockSize = CheckedBlockSize(),
                BackupName = Name,
                Concurrency = Concurrency,
                UploadConcurrency = target.UploadConcurrency(),
                LockTimeout = LockTimeouts.FromSeconds(LockTimeout),
            };
            RunBackup(request, target.Name, store, what, action);
        });
    }

    /// <summary>Parse and check every document, settle every value, check names and images, then back up each.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ApplyManifests()
    {
        IReadOnlyList<PlannedBackup> plan;
        var targets = new Dictionary<string, (Engine.Targets.BackupTargetDefinition Definition, Backupstore Store)>(StringComparer.Ordinal);
        try
        {
            var set = ManifestParser.Parse(ManifestSources(), ManifestKinds.Backup, ManifestValidationArgument.Parse(Validation));
            foreach (var warning in set.Warnings) WriteWarning(warning.ToString());
            var planWarnings = new List<string>();
            plan = BackupManifestPlanner.Plan(set.Backups, Overrides(), planWarnings);
            foreach (var warning in planWarnings) WriteWarning(warning);
            foreach (var name in plan.Select(p => p.TargetName).Distinct(StringComparer.Ordinal))
                targets[name] = OpenTarget(name);
            RunQuick(async ct => { await BackupManifestPlanner.EnsureNamesAreFreeAsync(plan, n => targets[n].Store, ct); return true; });
            plan = plan.Select(p => p.ReplicaPath is null ? p with { DataPath = ResolvePath(p.DataPath) } : p with { ReplicaPath = ResolvePath(p.ReplicaPath) }).ToList();
            foreach (var spec in plan.Select(p => p.SourceSpec).Distinct())
                BlockSources.Open(spec).Dispose();   // a missing image or snapshot stops the input before any backup is written
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            return;
        }

        // Several documents: a parent bar over them, each backup's own progress as its child.
        using var overall = plan.Count > 1 ? new VolumeProgress(this, "Applying backup manifests", plan.Count) : null;
        foreach (var p in plan)
        {
            int? parent = overall?.Next(p.VolumeName);
            var (definition, store) = targets[p.TargetName];
            string what = $"volume '{p.VolumeName}', snapshot '{p.SnapshotName}' from {p.SourceDescription}" +
                          (p.BackupName is null ? "" : $" as '{p.BackupName}'") + $" ({p.Manifest.Location})";
            string action = $"{p.Mode} backup to {definition.Url}";
            if (!IsWhatIf && !ShouldProcess(what, action)) continue;
            ForItem("NewBackup", p.VolumeName, () =>
            {
                using var source = BlockSources.Open(p.SourceSpec);
                foreach (var note in SourceNotes.For(source)) WriteWarning(note);
                RunBackup(p.ToRequest(source, CompressionMethod?.ToLowerInvariant(), Concurrency) with
                    {
                        LockTimeout = LockTimeouts.FromSeconds(LockTimeout),
                        UploadConcurrency = definition.UploadConcurrency(),
                    },
                    definition.Name, store, what, action, parent);
            });
        }
    }

    private IReadOnlyList<ManifestSource> ManifestSources()
    {
        if (ParameterSetName == ManifestFileSet) return _manifestFiles.Select(f => ManifestSource.FromFile(ResolvePath(f))).ToList();
        // Get-Content without -Raw sends one line at a time: single lines are joined back into one text.
        // Whole texts (Get-Content -Raw, possibly several files) are each their own YAML stream.
        if (_manifestTexts.All(t => !t.Contains('\n')))
            return new[] { new ManifestSource("pipeline input", string.Join("\n", _manifestTexts)) };
        return _manifestTexts.Select((t, i) => new ManifestSource(_manifestTexts.Count == 1 ? "pipeline input" : $"pipeline input {i + 1}", t)).ToList();
    }

    private BackupManifestOverrides Overrides()
    {
        Dictionary<string, string>? snapshotPaths = null;
        if (SnapshotPath is not null)
        {
            snapshotPaths = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in SnapshotPath)
                snapshotPaths[LanguagePrimitives.ConvertTo<string>(entry.Key)] = LanguagePrimitives.ConvertTo<string>(entry.Value);
        }
        return new BackupManifestOverrides
        {
            TargetName = Given(nameof(Target)) ? Target : null,
            VolumeName = Given(nameof(VolumeName)) ? VolumeName : null,
            SnapshotName = Given(nameof(SnapshotName)) ? SnapshotName : null,
            BackupName = Name,
            Mode = Given(nameof(BackupMode)) ? ParseMode(BackupMode) : null,
            Labels = LabelsOf(Label),
            BlockSize = CheckedBlockSize(),
            DataPath = Given(nameof(Path)) ? Path : null,
            SnapshotPaths = snapshotPaths,
            ReplicaPath = Given(nameof(ReplicaPath)) ? ResolvePath(ReplicaPath) : null,
        };
    }

    /// <summary>
    /// Runs one backup; under -WhatIf a dry run instead: the snapshot is read, hashed and what would be uploaded is
    /// compressed, so the plan reports exactly the blocks and bytes a real run uploads, and nothing is written.
    /// </summary>
    private void RunBackup(BackupRequest request, string targetName, Backupstore store, string what, string action, int? parentActivityId = null)
    {
        if (IsWhatIf)
        {
            var plan = RunEngine((progress, ct) => new BackupEngine(store, locking: Locking).RunAsync(request with { DryRun = true }, progress, ct), parentActivityId);
            var c = plan.Counters;
            ShouldProcess($"{what}: would upload {c.BlocksUploaded} blocks, {Sizes.Format(c.NewlyUploadedDataSize)} new to the store" +
                          (c.ReUploadedDataSize > 0 ? $" and {Sizes.Format(c.ReUploadedDataSize)} re-uploaded" : ""), action);
            WriteObject(new BackupPlan
            {
                VolumeName = request.VolumeName,
                SnapshotName = request.SnapshotName,
                BackupMode = request.Mode.ToString(),
                Target = targetName,
                Size = plan.Backup.Size,
                BlockCount = plan.Backup.Blocks.Count,
                BlocksToUpload = c.BlocksUploaded,
                NewlyUploadedDataSize = c.NewlyUploadedDataSize,
                ReUploadedDataSize = c.ReUploadedDataSize,
                CompressionMethod = plan.Backup.CompressionMethod,
                BlockSize = plan.Backup.BlockSize ?? 0,
            });
            return;
        }
        var result = RunEngine((progress, ct) => new BackupEngine(WithBandwidthLimit(store, MaxBytesPerSecond), locking: Locking).RunAsync(request, progress, ct), parentActivityId);
        foreach (var warning in result.Warnings) WriteWarning(warning);
        Say($"Backup {result.Backup.Name}: {result.Counters.BlocksUploaded} blocks uploaded, {result.Counters.ExistingBlocksSkipped} already in the store, {result.Counters.ZeroBlocksSkipped} zero blocks skipped.");
        if (result.DiffBaseSnapshot is not null)
            Say($"Snapshot-diff incremental: {result.BlocksChanged} blocks changed since snapshot '{result.DiffBaseSnapshot}' were read; the rest of the block map is the last backup's.");
        var backup = OutputMapper.ToBackup(result.Backup, result.Volume, result.Url, targetName);
        backup.Run = BackupRun.From(result);
        WriteObject(backup);
    }

    /// <summary>The volume a replica directory's name holds (&lt;volume&gt;-&lt;8 hex&gt;); InvalidName when it holds none.</summary>
    private string VolumeFromReplica(string replicaPath)
    {
        string? name = null;
        try { name = Engine.Blocks.Replica.ReplicaDirectory.Open(replicaPath).VolumeNameFromDirectory; }
        catch (LonghornBackupException e) { ThrowEngineError(e); }
        if (name is null)
            ThrowEngineError(new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"The volume name cannot be taken from the replica directory '{replicaPath}': its name is not <volume>-<8 hex>.",
                replicaPath, "Give -VolumeName."));
        return name!;
    }

    private bool IsWhatIf =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? ((SwitchParameter)w).IsPresent
            : SessionState.PSVariable.GetValue("WhatIfPreference") is { } pref && LanguagePrimitives.IsTrue(pref);

    private static Engine.Format.BackupMode ParseMode(string mode) =>
        string.Equals(mode, "Full", StringComparison.OrdinalIgnoreCase) ? Engine.Format.BackupMode.Full : Engine.Format.BackupMode.Incremental;

    private int? CheckedBlockSize() =>
        BlockSize is long b ? (b is > 0 and <= int.MaxValue ? (int)b : throw InvalidBlockSize(b)) : null;

    private static LonghornBackupException InvalidBlockSize(long size)
    {
        try { BlockSizes.Validate(size); } catch (LonghornBackupException e) { return e; }
        throw new InvalidOperationException();
    }
}
