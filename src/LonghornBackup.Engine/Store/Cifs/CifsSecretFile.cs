using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Cifs;

/// <summary>CIFS credentials given to Set-LhBackupTarget -Credential, kept as Longhorn's CIFS_USERNAME/CIFS_PASSWORD in an owner-only Secret file.</summary>
public static class CifsSecretFile
{
    public const string SecretName = "lhbackup-cifs";

    /// <summary>Checks a user name given on the command line, before anything is written.</summary>
    public static void CheckUserName(string userName)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Contains('%'))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                string.IsNullOrWhiteSpace(userName) ? "The credential has no user name." : "The CIFS user name contains '%', which mount.cifs would read as the start of a password.",
                "Credential", "Give -Credential with the share's user name (a domain goes in cifsOptions as domain=NAME) and its password.");
    }

    /// <summary>Where <see cref="Write"/> puts the Secret of target <paramref name="targetName"/>.</summary>
    public static CredentialSecretReference ReferenceFor(string configDirectory, string targetName) =>
        ModuleSecretFile.ReferenceFor(configDirectory, FileName(targetName), SecretName);

    private static string FileName(string targetName) => $"{targetName}.cifs-secret.yaml";

    public static CredentialSecretReference Write(string configDirectory, string targetName, string userName, string password)
    {
        CheckUserName(userName);
        return ModuleSecretFile.Write(configDirectory, FileName(targetName), SecretName,
            new KeyValuePair<string, string>[] { new(CifsDriver.UserNameKey, userName), new(CifsDriver.PasswordKey, password) });
    }

    public static bool RemoveIfCreatedByModule(CifsTargetSettings? settings) =>
        ModuleSecretFile.Remove(settings?.CredentialSecret, settings?.SecretCreatedByModule == true);
}
