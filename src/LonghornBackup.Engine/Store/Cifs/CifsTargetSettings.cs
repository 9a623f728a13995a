using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Cifs;

/// <summary>The settings of a CIFS target, saved under "CIFS" in targets.json: where its credentials are, never the values.</summary>
public sealed record CifsTargetSettings
{
    /// <summary>The Secret manifest holding CIFS_USERNAME and CIFS_PASSWORD; null: the environment's variables.</summary>
    public CredentialSecretReference? CredentialSecret { get; init; }
    /// <summary>True when Set-LhBackupTarget -Credential wrote that Secret file, so removing the target removes it.</summary>
    public bool SecretCreatedByModule { get; init; }
}
