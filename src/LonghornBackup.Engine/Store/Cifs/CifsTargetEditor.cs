using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;
using O = LonghornBackup.Engine.Targets.TargetOptions;

namespace LonghornBackup.Engine.Store.Cifs;

/// <summary>
/// Set-LhBackupTarget's option for a CIFS target: -Credential stores the share's user name and password in the target's
/// owner-only Secret file; without it the saved credentials stay, and -Clear Credential goes back to the environment's
/// CIFS_USERNAME/CIFS_PASSWORD (or a guest mount).
/// </summary>
internal static class CifsTargetEditor
{
    public static IReadOnlyCollection<string> Options { get; } = new[] { O.Credential };

    public static IReadOnlyCollection<string> Clearable { get; } = new[] { O.Credential };

    public static TargetSettingsEdit Edit(string name, BackupTargetDefinition? saved, O options, string configDirectory)
    {
        var settings = options.Clears(O.Credential) ? null : saved?.GetSettings<CifsTargetSettings>(CifsDriver.KindName);
        if (options.UserAndPassword is not { } credential) return new TargetSettingsEdit(settings);
        CifsSecretFile.CheckUserName(credential.UserName);
        string user = credential.UserName, password = credential.Password;
        return new TargetSettingsEdit(new CifsTargetSettings { CredentialSecret = CifsSecretFile.ReferenceFor(configDirectory, name), SecretCreatedByModule = true })
        {
            Credentials = new PendingCredentials("store the share's credentials in a Secret file readable by you only",
                () => $"Stored the CIFS credentials of user '{user}' in {CifsSecretFile.Write(configDirectory, name, user, password).File} (readable by you only)."),
        };
    }
}
