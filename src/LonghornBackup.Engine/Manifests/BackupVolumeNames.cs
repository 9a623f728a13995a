using System.Security.Cryptography;
using System.Text;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// The BackupVolume CR name (docs/backupstore-format.md §7.1, longhorn-manager GetBackupVolumeNameFromVolumeName):
/// "&lt;volume&gt;-&lt;first 8 hex of SHA-256("&lt;volume&gt;-&lt;target&gt;")&gt;". The real volume name is in spec.volumeName.
/// </summary>
public static class BackupVolumeNames
{
    public static string For(string volumeName, string targetName)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{volumeName}-{targetName}"));
        return $"{volumeName}-{Convert.ToHexString(hash).ToLowerInvariant()[..8]}";
    }
}
