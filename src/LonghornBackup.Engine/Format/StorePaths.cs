namespace LonghornBackup.Engine.Format;

/// <summary>
/// Object keys of the backupstore layout (docs/backupstore-format.md §1), relative to the target root. Every key this module reads
/// or writes is built here, from names already validated by <see cref="NameRules"/>.
/// </summary>
public static class StorePaths
{
    public const string Base = "backupstore";
    public const string VolumesDir = Base + "/volumes";

    public static string VolumeDir(string volumeName)
    {
        string h = Checksum.OfString(volumeName);
        return $"{VolumesDir}/{h[..2]}/{h[2..4]}/{volumeName}";
    }

    public static string VolumeConfig(string volumeName) => VolumeDir(volumeName) + "/volume.cfg";
    public static string BackupsDir(string volumeName) => VolumeDir(volumeName) + "/backups";
    public static string BackupConfig(string volumeName, string backupName) =>
        $"{BackupsDir(volumeName)}/backup_{backupName}.cfg";
    public static string BlocksDir(string volumeName) => VolumeDir(volumeName) + "/blocks";
    public static string Block(string volumeName, string checksum) =>
        $"{BlocksDir(volumeName)}/{checksum[..2]}/{checksum[2..4]}/{checksum}.blk";
    public static string LocksDir(string volumeName) => VolumeDir(volumeName) + "/locks";
    public static string Lock(string volumeName, string lockName) => $"{LocksDir(volumeName)}/{lockName}.lck";

    /// <summary>The module's records of blocks in flight (<see cref="InFlightRecord"/>); not part of Longhorn's layout.</summary>
    public static string InFlightDir(string volumeName) => VolumeDir(volumeName) + "/in-flight";
    public static string InFlightRecord(string volumeName, string backupName, int sequence) =>
        FormattableString.Invariant($"{InFlightDir(volumeName)}/{backupName}.{sequence:D6}.inflight");

    /// <summary>Whether a listed in-flight/ entry is a record.</summary>
    public static bool IsInFlightRecordFile(string fileName) => fileName.EndsWith(".inflight", StringComparison.Ordinal);

    /// <summary>The backup name of a listed backups/ entry, or null when the entry is not a backup cfg.</summary>
    public static string? BackupNameFromFile(string fileName)
    {
        const string prefix = "backup_", suffix = ".cfg";
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(suffix, StringComparison.Ordinal))
            return null;
        string name = fileName[prefix.Length..^suffix.Length];
        return NameRules.IsValidStoreName(name) ? name : null;
    }

    /// <summary>The lock name of a listed locks/ entry, or null when the entry is not a lock file.</summary>
    public static string? LockNameFromFile(string fileName)
    {
        if (!fileName.EndsWith(".lck", StringComparison.Ordinal)) return null;
        string name = fileName[..^4];
        return NameRules.IsValidStoreName(name) ? name : null;
    }

    /// <summary>The checksum of a listed block file name, or null when it is not a block (temp files, strays).</summary>
    public static string? ChecksumFromBlockFile(string fileName)
    {
        if (!fileName.EndsWith(".blk", StringComparison.Ordinal)) return null;
        string name = fileName[..^4];
        return NameRules.IsValidStoreName(name) ? name : null;
    }
}
