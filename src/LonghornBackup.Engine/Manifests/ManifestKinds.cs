namespace LonghornBackup.Engine.Manifests;

/// <summary>The kinds of manifest a command accepts.</summary>
[Flags]
public enum ManifestKinds
{
    None = 0,
    /// <summary>longhorn.io/v1beta2 Backup: applied by New-LhBackup.</summary>
    Backup = 1,
    /// <summary>longhorn.io/v1beta2 BackupTarget: applied by Set-LhBackupTarget.</summary>
    BackupTarget = 2,
    /// <summary>v1 Secret with a backup target's credentials, referenced by a BackupTarget's spec.credentialSecret.</summary>
    Secret = 4,
}
