namespace LonghornBackup;

/// <summary>What Remove-LhBackupVolume deleted (emitted with -PassThru).</summary>
public sealed class BackupVolumeRemoval
{
    public string Name { get; init; } = "";
    public int BackupsRemoved { get; init; }
    public int BlocksRemoved { get; init; }
    /// <summary>Files in the volume's folder that are not backup files: left in place (each also gave a warning).</summary>
    public string[] LeftBehind { get; init; } = Array.Empty<string>();
    public string Target { get; init; } = "";
}
