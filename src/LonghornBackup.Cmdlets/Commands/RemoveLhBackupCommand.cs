using System.Collections;
using System.Management.Automation;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Removes backups and frees the blocks no remaining backup uses, as Longhorn does. Backups piped from Get-LhBackup
/// are collected and removed per volume with one garbage-collection pass; the -Keep* rules, -Policy or the target's
/// policy (-UseTargetPolicy) choose the backups to remove instead.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "LhBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(BackupRemoval))]
[OutputType(typeof(RetentionDecision))]
public sealed class RemoveLhBackupCommand : LhTargetCmdlet
{
    private const string ByName = "ByName", Retention = "Retention", GivenPolicy = "Policy", TargetPolicy = "TargetPolicy";
    private readonly Dictionary<(string Target, string Volume), List<string>> _pending = new();

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = Retention, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = GivenPolicy, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = TargetPolicy, ValueFromPipelineByPropertyName = true)]
    public string VolumeName { get; set; } = "";

    /// <summary>Backup names (no wildcards: removal is exact). Binds from piped Backup objects.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupName")]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Retention: keep the newest N finished backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepLast { get; set; }

    /// <summary>Retention: keep the newest backup of each of the last N hours that have backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepHourly { get; set; }

    /// <summary>Retention: keep the newest backup of each of the last N days that have backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepDaily { get; set; }

    /// <summary>Retention: keep the newest backup of each of the last N ISO weeks that have backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepWeekly { get; set; }

    /// <summary>Retention: keep the newest backup of each of the last N months that have backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepMonthly { get; set; }

    /// <summary>Retention: keep the newest backup of each of the last N years that have backups.</summary>
    [Parameter(ParameterSetName = Retention)]
    [ValidateRange(1, int.MaxValue)]
    public int? KeepYearly { get; set; }

    /// <summary>Retention: keep every backup within this long of the newest one: "2y5m7d3h", "14d", or a TimeSpan.</summary>
    [Parameter(ParameterSetName = Retention)]
    public string? KeepWithin { get; set; }

    /// <summary>Retention: count and remove only backups carrying all these labels (e.g. @{ RecurringJob = 'daily' }).</summary>
    [Parameter(ParameterSetName = Retention)]
    public Hashtable? Label { get; set; }

    /// <summary>Retention: apply the rules to each combination of these labels' values separately (e.g. RecurringJob).</summary>
    [Parameter(ParameterSetName = Retention)]
    public string[]? GroupByLabel { get; set; }

    /// <summary>Retention: count periods in UTC instead of local time.</summary>
    [Parameter(ParameterSetName = Retention)]
    public SwitchParameter Utc { get; set; }

    /// <summary>
    /// Retention: a whole policy as one value, as a runbook keeps it (a hashtable or a .psd1 file's data):
    /// @{ KeepDaily = 7; KeepWeekly = 4; KeepWithin = '30d'; Label = @{...}; GroupByLabel = '...'; Utc = $true }.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = GivenPolicy)]
    public object? Policy { get; set; }

    /// <summary>Retention: apply the policy kept with the target (Set-LhBackupTarget -RetentionPolicy).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TargetPolicy)]
    public SwitchParameter UseTargetPolicy { get; set; }

    /// <summary>
    /// Backups left in progress, and temporary files, at least this old belong to runs that died: the pass removes
    /// them (and stale locks) before garbage collection, which they would stop. Default one day.
    /// </summary>
    [Parameter]
    [DurationArgument]
    public TimeSpan? InProgressOlderThan { get; set; }

    /// <summary>Remove without asking for confirmation (-WhatIf still only reports).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait while a backup or restore holds the volume; without it such a conflict fails at once.</summary>
    [Parameter]
    [ValidateRange(0, LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    /// <summary>Emit a BackupRemoval object per volume.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != ByName) { PlanRetention(); return; }
        foreach (var name in Name)
        {
            if (!Confirmation.ShouldRemove(this, Force, $"backup '{name}' of volume '{VolumeName}' on target '{Target}'",
                    "Remove backup (blocks no other backup uses are deleted)"))
                continue;
            Pending(Target, VolumeName).Add(name);
        }
    }

    private readonly Dictionary<(string Target, string Volume), RetentionDecision[]> _kept = new();

    private void PlanRetention()
    {
        var (target, store) = OpenTarget(Target);
        var filter = ParameterSetName == Retention ? LabelsOf(Label) : null;
        ForItem("RemoveBackup", VolumeName, () =>
        {
            var rules = RulesOf(target, filter);
            var policy = rules.ToPolicy();   // before any listing: a bad policy changes nothing
            WriteVerbose($"Volume '{VolumeName}': retention policy {rules}.");
            var listings = RunQuick(ct => store.ListBackupsAsync(VolumeName, null, ct));
            if (listings.Count == 0 && RunQuick(ct => store.LoadVolumeAsync(VolumeName, ct)) is null)
                throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
                    $"The backup volume '{VolumeName}' does not exist on the backup target '{target.Name}' ({target.Url}).", VolumeName,
                    "List the volumes with Get-LhBackupVolume.");
            var plan = RetentionPlanner.Plan(listings, policy, rules.Label, rules.GroupByLabel);
            foreach (var ignored in plan.Ignored.Where(b => b.Error is not null))
                WriteWarning($"Backup '{ignored.BackupName}' of volume '{VolumeName}' cannot be read ({ignored.Error!.Message}); retention neither counts nor removes it.");
            foreach (var running in plan.Ignored.Where(b => b.Config is { IsInProgress: true }))
                WriteVerbose($"Backup '{running.BackupName}' of volume '{VolumeName}' is in progress; retention neither counts nor removes it.");
            WriteVerbose($"Volume '{VolumeName}': keeping {plan.Keep.Count} backup(s) ({string.Join(", ", plan.Keep.Select(b => $"{b.BackupName} by {string.Join("+", plan.KeptBy[b.BackupName])}"))}), removing {plan.Delete.Count}.");
            var decisions = Decisions(plan);
            _kept[(target.Name, VolumeName)] = decisions.Where(d => d.Action == "Keep").ToArray();
            // A dry run reports every backup's fate, as restic forget --dry-run does.
            if (Confirmation.IsWhatIf(this)) WriteObject(decisions, enumerateCollection: true);
            foreach (var b in plan.Delete)
            {
                if (Confirmation.ShouldRemove(this, Force, $"backup '{b.BackupName}' of volume '{VolumeName}' on target '{target.Name}'",
                        "Remove backup (no retention rule keeps it)"))
                    Pending(target.Name, VolumeName).Add(b.BackupName);
            }
            // Nothing to remove, but backups in progress: a pass of its own clears those whose runs died (the engine
            // looks at their age first, and takes the lock only for one old enough).
            bool passing = _pending.TryGetValue((target.Name, VolumeName), out var names) && names.Count > 0;
            if (!passing && plan.Ignored.Any(b => b.Config is { IsInProgress: true })
                && Confirmation.ShouldRemove(this, Force,
                    $"backups of volume '{VolumeName}' on target '{target.Name}' left in progress by runs that died (older than {Durations.Format(Age)})",
                    "Remove what interrupted runs left"))
                Pending(target.Name, VolumeName);
        });
    }

    /// <summary>The rules of this call: the -Keep* parameters, -Policy, or the target's policy.</summary>
    private RetentionRules RulesOf(Engine.Targets.BackupTargetDefinition target, Dictionary<string, string>? labels) => ParameterSetName switch
    {
        GivenPolicy => RetentionArguments.ToRules(Policy),
        TargetPolicy => target.RetentionPolicy ?? throw new LonghornBackupException(ErrorIds.RetentionPolicyNotSet, ErrorKind.InvalidOperation,
            $"The backup target '{target.Name}' keeps no retention policy.", target.Name,
            $"Give the rules to Remove-LhBackup, or keep a policy with the target (its other settings stay): Set-LhBackupTarget -Name {target.Name} -RetentionPolicy @{{ KeepDaily = 7 }}"),
        _ => new RetentionRules
        {
            KeepLast = KeepLast, KeepHourly = KeepHourly, KeepDaily = KeepDaily, KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly, KeepYearly = KeepYearly, KeepWithin = KeepWithin, Label = labels, GroupByLabel = GroupByLabel, Utc = Utc,
        },
    };

    private RetentionDecision[] Decisions(RetentionPlan plan)
    {
        RetentionDecision Of(BackupListing b, string action) => new()
        {
            Name = b.BackupName,
            VolumeName = b.VolumeName,
            SnapshotCreatedAt = GoJson.ParseTime(b.Config?.SnapshotCreatedAt)?.UtcDateTime,
            Action = action,
            KeptBy = plan.KeptBy.TryGetValue(b.BackupName, out var why) ? why.ToArray() : Array.Empty<string>(),
        };
        return plan.Keep.Select(b => Of(b, "Keep")).Concat(plan.Delete.Select(b => Of(b, "Remove"))).Concat(plan.Ignored.Select(b => Of(b, "Ignore")))
            .OrderBy(d => d.SnapshotCreatedAt ?? DateTime.MaxValue).ToArray();
    }

    private TimeSpan Age => InProgressOlderThan ?? LeftoverCleanup.DefaultAge;

    private List<string> Pending(string target, string volume)
    {
        if (!_pending.TryGetValue((target, volume), out var names)) _pending[(target, volume)] = names = new List<string>();
        return names;
    }

    protected override void EndProcessing()
    {
        using var overall = new VolumeProgress(this, "Removing backups", _pending.Count);
        foreach (var ((targetName, volume), names) in _pending)
        {
            int parent = overall.Next(volume);
            var (target, store) = OpenTarget(targetName);
            ForItem("RemoveBackup", volume, () =>
            {
                var deleter = new BackupDeleter(store, Locking) { Cleanup = new LeftoverCleanup { InProgressOlderThan = Age, Kinds = LeftoverKinds.Routine } };
                var result = RunEngine((progress, ct) =>
                    deleter.DeleteAsync(volume, names, LockTimeouts.FromSeconds(LockTimeout), progress, ct), parent);
                foreach (var missing in result.NotFound)
                    WriteEngineError(new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                        $"The backup '{missing}' of volume '{volume}' does not exist on the backup target '{target.Name}'.", missing,
                        $"List the backups with Get-LhBackup -VolumeName {volume}."));
                foreach (var warning in result.Warnings) WriteWarning(warning);
                foreach (var error in result.Leftovers.Errors) WriteEngineError(error);
                foreach (var l in result.Leftovers.Removed)
                    WriteVerbose($"Volume '{volume}': removed {LeftoverKinds.NounOf(l.Kind)} '{l.Name}' ({l.Detail}).");
                if (result.Deleted.Count == 0 && result.Leftovers.Removed.Count == 0) return;
                if (!result.BlocksCollected)
                {
                    string done = result.Deleted.Count > 0 ? $"Removed {result.Deleted.Count} backup(s) of '{volume}'" : $"Cleared what interrupted runs left in '{volume}'";
                    WriteWarning($"{done} but freed no blocks: {result.CollectionSkippedReason}. A later removal frees them, as in Longhorn.");
                }
                WriteVerbose($"Volume '{volume}': removed {string.Join(", ", result.Deleted)}; {result.BlocksDeleted} block(s) freed, {result.BlockCount} left; latest backup now '{result.LastBackupName}'.");
                if (PassThru) WriteObject(LifecycleOutput.ToRemoval(result, target.Name, _kept.GetValueOrDefault((target.Name, volume))));
            });
        }
        _pending.Clear();
        base.EndProcessing();
    }
}
