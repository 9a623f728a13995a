namespace LonghornBackup;

/// <summary>A named backup target as set by Set-LhBackupTarget. Holds no secrets.</summary>
public sealed class BackupTarget
{
    public string Name { get; init; } = "";
    public string Url { get; init; } = "";
    /// <summary>"FileSystem" today.</summary>
    public string Kind { get; init; } = "";
    /// <summary>Whether the target's root can be reached now.</summary>
    public bool Available { get; init; }
    public DateTime SetAt { get; init; }
    /// <summary>The per-user settings file the target is kept in.</summary>
    public string ConfigPath { get; init; } = "";

    public override string ToString() => Url;
}
