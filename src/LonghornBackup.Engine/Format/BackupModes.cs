namespace LonghornBackup.Engine.Format;

/// <summary>How a backup treats blocks that already exist in the store.</summary>
public enum BackupMode
{
    /// <summary>Upload only blocks the store lacks (Longhorn's default).</summary>
    Incremental,
    /// <summary>Upload every block and overwrite existing ones; repairs blocks corrupted in the store.</summary>
    Full,
}

/// <summary>Keys and values of the backup cfg's Parameters map (docs/backupstore-format.md §2.2, §3.1).</summary>
public static class BackupParameters
{
    public const string Mode = "backup-mode";
    public const string BlockSize = "backup-block-size";

    public static string ToParameter(BackupMode mode) => mode == BackupMode.Full ? "full" : "incremental";
}
