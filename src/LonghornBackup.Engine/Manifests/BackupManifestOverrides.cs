using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Values given on the command line next to a Backup manifest. Each one that is set wins over the manifest's own
/// value; <see cref="Labels"/> are added to spec.labels (a key in both takes this value).
/// </summary>
public sealed record BackupManifestOverrides
{
    public string? TargetName { get; init; }
    public string? VolumeName { get; init; }
    public string? SnapshotName { get; init; }
    public string? BackupName { get; init; }
    public BackupMode? Mode { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public int? BlockSize { get; init; }
    /// <summary>The image to read for every document without an entry in <see cref="SnapshotPaths"/>.</summary>
    public string? DataPath { get; init; }
    /// <summary>Image path per spec.snapshotName, for streams whose documents back up different snapshots.</summary>
    public IReadOnlyDictionary<string, string>? SnapshotPaths { get; init; }
    /// <summary>
    /// A Longhorn replica directory (an absolute path) whose chain holds the snapshots: every document without an entry
    /// in <see cref="SnapshotPaths"/> reads its spec.snapshotName from it (instead of <see cref="DataPath"/>), and,
    /// without <see cref="VolumeName"/> or a backup-volume label, backs up to the volume the directory's name holds.
    /// </summary>
    public string? ReplicaPath { get; init; }
}
