using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Checks that backups can be restored, without restoring them: quick (every referenced block exists) or -Deep (every
/// referenced block read, decompressed and checksummed, each once). Writes a BackupVerification per backup and a
/// BackupVerificationFailed error for each broken one, so a scheduled task can alert on either.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "LhBackup", DefaultParameterSetName = ByName)]
[OutputType(typeof(BackupVerification))]
public sealed class TestLhBackupCommand : LhTargetCmdlet
{
    private const string ByName = "ByName", ByInput = "InputObject";
    // Piped items per target and volume; a null set means "every backup of the volume".
    private readonly Dictionary<(string Target, string Volume), HashSet<string>?> _pending = new();

    /// <summary>Volume names; wildcards allowed. Every volume of the target when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    public string[]? VolumeName { get; set; }

    /// <summary>Backup names; wildcards allowed. Every backup of the selected volumes when omitted.</summary>
    [Parameter(Position = 1, ParameterSetName = ByName)]
    [SupportsWildcards]
    [Alias("BackupName")]
    public string[]? Name { get; set; }

    /// <summary>Backups from Get-LhBackup or volumes from Get-LhBackupVolume.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInput)]
    [ValidateNotNull]
    public PSObject[] InputObject { get; set; } = Array.Empty<PSObject>();

    /// <summary>Read, decompress and checksum every referenced block instead of only checking it exists.</summary>
    [Parameter]
    public SwitchParameter Deep { get; set; }

    /// <summary>With -Deep, read part k of n of the blocks ("3/7"): n runs with k = 1..n read every block once.</summary>
    [Parameter]
    public string? Subset { get; set; }

    /// <summary>With -Deep, read this percentage of the blocks ("10%"), the same ones each time.</summary>
    [Parameter]
    public string? Sample { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    /// <summary>Seconds to wait while a deletion holds a volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    /// <summary>
    /// Bandwidth limit, in bytes per second, for the data this command moves to or from the target (e.g. 50MB), shared
    /// by all its workers; no limit when omitted.
    /// </summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long? MaxBytesPerSecond { get; set; }

    private BlockShare? _share;

    /// <summary>A bad share stops the command before any volume is checked.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            if (Subset is not null && Sample is not null)
                throw new LonghornBackupException(ErrorIds.InvalidBlockShare, ErrorKind.InvalidArgument,
                    "Give -Subset or -Sample, not both.", Subset);
            if ((Subset ?? Sample) is { } given && !Deep)
                throw new LonghornBackupException(ErrorIds.InvalidBlockShare, ErrorKind.InvalidArgument,
                    "-Subset and -Sample choose the blocks a deep check reads: add -Deep.", given);
            _share = Subset is not null ? BlockShare.ParseSubset(Subset) : Sample is not null ? BlockShare.ParseSample(Sample) : null;
        }
        catch (LonghornBackupException e) { ThrowEngineError(e); }
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInput) { Collect(); return; }
        var (target, store) = OpenTarget(Target);
        var volumes = RunQuick(ct => store.ListVolumeNamesAsync(ct));
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var selected = Selection.Filter(volumes, VolumeName, this, name =>
            new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                $"The backup volume '{name}' does not exist on the backup target '{target.Name}' ({target.Url}).", name,
                "List the volumes with Get-LhBackupVolume.")).ToList();
        using var overall = new VolumeProgress(this, Deep ? "Verifying backups (deep)" : "Verifying backups", selected.Count);
        foreach (var volume in selected)
        {
            int parent = overall.Next(volume);
            ForItem("TestBackup", volume, () =>
            {
                IReadOnlyCollection<string>? names = null;
                if (Name is { Length: > 0 })
                {
                    names = RunQuick(ct => store.ListBackupNamesAsync(volume, ct)).Where(n => Selection.Matches(n, Name)).ToList();
                    found.UnionWith(names);
                    if (names.Count == 0) return;
                }
                Verify(store, target.Name, volume, names, parent);
            });
        }
        foreach (var name in Name ?? Array.Empty<string>())
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !found.Contains(name))
                WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No backup named '{name}' was found on the backup target '{target.Name}'.", name, "List the backups with Get-LhBackup."));
    }

    private void Collect()
    {
        foreach (var item in InputObject)
        {
            switch (item.BaseObject)
            {
                case Backup b:
                    var key = (string.IsNullOrEmpty(b.Target) ? Target : b.Target, b.VolumeName);
                    if (!_pending.TryGetValue(key, out var names)) _pending[key] = names = new HashSet<string>(StringComparer.Ordinal);
                    names?.Add(b.Name);
                    break;
                case BackupVolume v:
                    _pending[(string.IsNullOrEmpty(v.Target) ? Target : v.Target, v.Name)] = null;
                    break;
                default:
                    WriteError(new ErrorRecord(new ArgumentException(
                            $"Test-LhBackup takes backups (Get-LhBackup) or backup volumes (Get-LhBackupVolume), not {item.BaseObject?.GetType().Name ?? "null"}."),
                        "InvalidInputObject", ErrorCategory.InvalidArgument, item));
                    break;
            }
        }
    }

    protected override void EndProcessing()
    {
        using (var overall = new VolumeProgress(this, Deep ? "Verifying backups (deep)" : "Verifying backups", _pending.Count))
        {
            // Volumes in name order, as Get-LhBackup lists them, whatever order they were piped in.
            foreach (var ((targetName, volume), names) in _pending.OrderBy(p => p.Key.Volume, StringComparer.Ordinal)
                         .ThenBy(p => p.Key.Target, StringComparer.OrdinalIgnoreCase))
            {
                int parent = overall.Next(volume);
                var (target, store) = OpenTarget(targetName);
                ForItem("TestBackup", volume, () => Verify(store, target.Name, volume, names, parent));
            }
        }
        _pending.Clear();
        base.EndProcessing();
    }

    private void Verify(Backupstore store, string target, string volume, IReadOnlyCollection<string>? names, int parentActivityId)
    {
        var request = new VerificationRequest
        {
            VolumeName = volume,
            BackupNames = names,
            Deep = Deep,
            Share = _share,
            Concurrency = Concurrency,
            LockTimeout = LockTimeouts.FromSeconds(LockTimeout),
        };
        var result = RunEngine((progress, ct) => new BackupVerifier(WithBandwidthLimit(store, MaxBytesPerSecond), Locking).VerifyAsync(request, progress, ct), parentActivityId);
        var now = DateTime.UtcNow;
        foreach (var missing in result.NotFound)
            WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                $"The backup '{missing}' of volume '{volume}' does not exist on the backup target '{target}'.", missing,
                $"List the backups with Get-LhBackup -VolumeName {volume}."));
        foreach (var backup in result.Backups)
        {
            var output = LifecycleOutput.ToVerification(backup, result.Deep, result.Share, target, now);
            WriteObject(output);
            if (backup.Health == BackupHealth.InProgress)
                WriteVerbose($"Backup '{backup.BackupName}' of '{volume}' is in progress (or its run was interrupted) and was not checked.");
            if (!backup.IsHealthy) WriteEngineError(Failure(backup, output));
        }
        int broken = result.Backups.Count(b => !b.IsHealthy);
        WriteVerbose($"Volume '{volume}': {result.Backups.Count} backup(s) checked ({(result.Deep ? "deep" : "quick")}), {broken} broken; " +
                     $"{result.BlocksChecked} distinct block(s){(result.Deep ? $", {Sizes.Format(result.BytesRead)} read ({result.Share} of the blocks)" : "")}.");
    }

    private static LonghornBackupException Failure(BackupVerificationResult b, BackupVerification output)
    {
        if (b.Health == BackupHealth.Error)
            return new LonghornBackupException(ErrorIds.BackupVerificationFailed, ErrorKind.InvalidData,
                $"Backup '{b.BackupName}' of volume '{b.VolumeName}' cannot be restored: {b.Error}", output,
                "Remove the backup with Remove-LhBackup; its blocks stay while other backups use them.");
        if (b.Health == BackupHealth.Inconsistent)
            return new LonghornBackupException(ErrorIds.BackupVerificationFailed, ErrorKind.InvalidData,
                $"Backup '{b.BackupName}' of volume '{b.VolumeName}' does not fit its volume: {b.Error}", output,
                "Restore it with Restore-LhBackup -IncludeBlocksBeyondVolumeSize, which makes the image as large as the backup needs.");
        string Count(BlockProblemKind kind, string word)
        {
            var list = b.Problems.Where(p => p.Kind == kind).Select(p => p.Checksum[..12] + "…").ToList();
            return list.Count == 0 ? "" : $"{list.Count} block(s) {word} ({string.Join(", ", list.Take(5))}{(list.Count > 5 ? ", …" : "")})";
        }
        string what = string.Join(" and ", new[] { Count(BlockProblemKind.Missing, "missing"), Count(BlockProblemKind.Corrupt, "corrupt") }.Where(s => s.Length > 0));
        var others = b.Problems.SelectMany(p => p.AffectedBackups).Where(n => n != b.BackupName).Distinct().OrderBy(name => name, StringComparer.Ordinal).ToList();
        string shared = others.Count == 0 ? "" : $" The same block(s) also break: {string.Join(", ", others)}.";
        return new LonghornBackupException(ErrorIds.BackupVerificationFailed, ErrorKind.InvalidData,
            $"Backup '{b.BackupName}' of volume '{b.VolumeName}' cannot be restored: {what}.{shared}", output,
            "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot that still holds this data to rewrite the blocks, then run Test-LhBackup -Deep again. Backups whose data no snapshot holds any more cannot be repaired; remove them with Remove-LhBackup.");
    }
}
