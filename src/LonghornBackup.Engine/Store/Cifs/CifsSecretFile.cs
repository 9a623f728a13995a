using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Cifs;

/// <summary>CIFS credentials given to Set-LhBackupTarget -Credential, kept as Longhorn's CIFS_USERNAME/CIFS_PASSWORD in an owner-only Secret file.</summary>
public static class CifsSecretFile
{
    public const string SecretName = "lhbackup-cifs";

    public static CredentialSecretReference Write(string configDirectory, string targetName, string userName, string password)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Contains('%'))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                string.IsNullOrWhiteSpace(userName) ? "The credential has no user name." : "The CIFS user name contains '%', which mount.cifs would read as the start of a password.",
                "Credential", "Give -Credential with the share's user name (a domain goes in cifsOptions as domain=NAME) and its password.");
        return ModuleSecretFile.Write(configDirectory, $"{targetName}.cifs-secret.yaml", SecretName,
            new KeyValuePair<string, string>[] { new(CifsDriver.UserNameKey, userName), new(CifsDriver.PasswordKey, password) });
    }

    public static bool RemoveIfCreatedByModule(CifsTargetSettings? settings) =>
        ModuleSecretFile.Remove(settings?.CredentialSecret, settings?.SecretCreatedByModule == true);
}
