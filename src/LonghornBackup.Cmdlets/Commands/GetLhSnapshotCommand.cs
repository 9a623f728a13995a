using System.Management.Automation;
using LonghornBackup.Engine.Blocks.Replica;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Lists the snapshots of a Longhorn replica directory: the head's chain from the base up, then other branches.</summary>
[Cmdlet(VerbsCommon.Get, "LhSnapshot")]
[OutputType(typeof(Snapshot))]
public sealed class GetLhSnapshotCommand : LhCmdlet
{
    /// <summary>A replica directory, e.g. /var/lib/longhorn/replicas/pvc-1-1a2b3c4d.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    public string ReplicaPath { get; set; } = "";

    /// <summary>Snapshot names; wildcards allowed. "volume-head" is the head.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [Alias("SnapshotName")]
    [ArgumentCompleter(typeof(Completion.SnapshotNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(ReplicaPath);
        ForItem("GetSnapshot", path, () =>
        {
            var replica = ReplicaDirectory.Open(path);
            var snapshots = ReplicaSnapshots.List(replica);
            var byName = snapshots.ToDictionary(s => s.Name, StringComparer.Ordinal);
            foreach (string name in Selection.Filter(snapshots.Select(s => s.Name).ToList(), Name, this, missing =>
                         new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.NotFound,
                             $"The replica '{path}' has no snapshot '{missing}'.", missing)))
                WriteObject(SnapshotOutput.From(byName[name], replica));
        });
    }
}
