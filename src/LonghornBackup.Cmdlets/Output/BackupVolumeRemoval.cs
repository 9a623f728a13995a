namespace LonghornBackup;

/// <summary>What Remove-LhBackupVolume deleted (emitted with -PassThru).</summary>
public sealed class BackupVolumeRemoval
{
    public string Name { get; init; } = "";
    public int BackupsRemoved { get; init; }
    public int BlocksRemoved { get; init; }
    public string Target { get; init; } = "";
}
