using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.Shares;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Cifs;

/// <summary>
/// cifs://host/share[/path][?cifsOptions=a,b] (docs/target-drivers.md §5): the share where it is mounted (on
/// Windows, its UNC path), else mounted with mount.cifs at Longhorn's mount point, with CIFS_USERNAME and
/// CIFS_PASSWORD from the target's Secret or the environment handed over in mount.cifs's own variables.
/// </summary>
public sealed class CifsDriver : ShareDriver, ITargetSettingsEditor
{
    public static CifsDriver Instance { get; } = new();
    public const string KindName = "CIFS";
    public const string UserNameKey = "CIFS_USERNAME", PasswordKey = "CIFS_PASSWORD";

    private CifsDriver() : base(ShareProtocol.Cifs) { }

    public override string Kind => KindName;
    public override IReadOnlyList<string> Schemes { get; } = new[] { "cifs" };
    public override string UrlForms => "cifs://server/share/path[?cifsOptions=a,b]";

    public override object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings)
    {
        if (input.Secret is { } secret && CheckSecretKeys(secret) is { } problem)
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"{input.UrlLocation ?? "The target"}: {problem} Nothing was saved.", input.Name,
                $"Give both {UserNameKey} and {PasswordKey} in the Secret (empty values for a guest share).");
        return input.SecretReference is null ? null : new CifsTargetSettings { CredentialSecret = input.SecretReference };
    }

    public IReadOnlyCollection<string> Options => CifsTargetEditor.Options;
    public IReadOnlyCollection<string> Clearable => CifsTargetEditor.Clearable;

    public TargetSettingsEdit Edit(TargetUrl url, string name, BackupTargetDefinition? saved, TargetOptions options, string configDirectory) =>
        CifsTargetEditor.Edit(name, saved, options, configDirectory);

    public override IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement)
    {
        var old = target.GetSettings<CifsTargetSettings>(KindName);
        if (old?.CredentialSecret is not { } reference) return Array.Empty<string>();
        if (replacement?.GetSettings<CifsTargetSettings>(KindName)?.CredentialSecret?.File == reference.File) return Array.Empty<string>();
        return CifsSecretFile.RemoveIfCreatedByModule(old) ? new[] { $"Removed {reference.File}, which held the target's CIFS credentials." } : Array.Empty<string>();
    }

    public override string? CheckSecretKeys(SecretManifest secret)
    {
        bool user = secret.Values.ContainsKey(UserNameKey), password = secret.Values.ContainsKey(PasswordKey);
        return user == password ? null
            : $"the Secret '{secret.Name}' ({secret.Location}) has {(user ? UserNameKey : PasswordKey)} but not {(user ? PasswordKey : UserNameKey)}: a CIFS target needs both or neither.";
    }

    protected override ShareCredentials? ResolveCredentials(BackupTargetDefinition? target, StoreOpenOptions options)
    {
        var variables = SecretVariables.For(target?.GetSettings<CifsTargetSettings>(KindName)?.CredentialSecret, options);
        string? user = variables.Get(UserNameKey), password = variables.Get(PasswordKey);
        if (user is null && password is null) return null;
        if (user is null || password is null)
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"Only half of the CIFS credentials are set: {variables.SourceOf(user is null ? PasswordKey : UserNameKey)} gives one, but {(user is null ? UserNameKey : PasswordKey)} is missing.",
                target?.Name, $"Set both {UserNameKey} and {PasswordKey} (in the target's credential Secret or the environment), or neither for a guest share.");
        if (user.Contains('%'))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CIFS user name from {variables.SourceOf(UserNameKey)} contains '%', which mount.cifs would read as the start of a password.", target?.Name,
                "Give the user name without '%' (a domain goes in cifsOptions as domain=NAME).");
        return new ShareCredentials(user, password, $"{variables.SourceOf(UserNameKey)} and {variables.SourceOf(PasswordKey)}");
    }
}
