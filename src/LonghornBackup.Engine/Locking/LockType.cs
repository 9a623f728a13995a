namespace LonghornBackup.Engine.Locking;

/// <summary>
/// Longhorn's lock types (docs/backupstore-format.md §2.3, §5.1). Locks of one type never exclude each other; locks of different types do.
/// </summary>
public enum LockType
{
    /// <summary>Written by no current Longhorn; conflicts with every typed lock.</summary>
    Untyped = 0,
    /// <summary>Backup, restore and verification: they only add or read blocks, so any number run together.</summary>
    BackupOrRestore = 1,
    /// <summary>Deletion: frees blocks, so it excludes every backup and restore of the volume.</summary>
    Deletion = 2,
}
