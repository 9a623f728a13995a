using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;
using O = LonghornBackup.Engine.Targets.TargetOptions;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Set-LhBackupTarget's options for an Azure Blob target. A key or SAS token given (-AccountKey, -SasToken,
/// -Credential) is stored in the target's owner-only Secret file; the account comes with it, or is the one the target
/// names already, so rotating a key needs only the key. Without keys the saved credentials stay: -AccountName alone
/// names the account an identity signs in to, and is refused when the target keeps keys for another account (an
/// account name must never turn a keyed target into identity sign-in); -Clear Credential drops the keys explicitly.
/// </summary>
internal static class AzureBlobTargetEditor
{
    public static IReadOnlyCollection<string> Options { get; } = new[]
    {
        O.EndpointUrl, O.CACertificatePath, O.Credential, O.AccountName, O.AccountKey, O.SasToken,
    };

    public static IReadOnlyCollection<string> Clearable { get; } = new[] { O.EndpointUrl, O.CACertificatePath, O.AccountName, O.Credential };

    public static TargetSettingsEdit Edit(string name, BackupTargetDefinition? saved, O options, string configDirectory)
    {
        var old = saved?.GetSettings<AzureBlobTargetSettings>(AzureBlobDriver.KindName) ?? new AzureBlobTargetSettings();
        var settings = old with
        {
            EndpointUrl = options.Clears(O.EndpointUrl) ? null : options.Text(O.EndpointUrl) ?? old.EndpointUrl,
            CACertificatePath = options.Clears(O.CACertificatePath) ? null : options.Text(O.CACertificatePath) ?? old.CACertificatePath,
            AccountName = options.Clears(O.AccountName) ? null : old.AccountName,
        };
        if (options.Clears(O.Credential))
            // An identity signs in to the same account from now on: the account is no secret, it stays.
            settings = settings with { CredentialSecret = null, SecretCreatedByModule = false, AccountName = settings.AccountName ?? AccountOf(old.CredentialSecret) };

        string? account = options.Text(O.AccountName);
        string? key = options.Secret(O.AccountKey), sas = options.Secret(O.SasToken)?.TrimStart('?');
        if (options.UserAndPassword is { } credential)
        {
            account = credential.UserName;
            key = credential.Password;
        }
        PendingCredentials? store = null;
        if (key is not null || sas is not null)
        {
            account ??= settings.AccountName ?? AccountOf(settings.CredentialSecret);
            string? givenKey = string.IsNullOrEmpty(key) ? null : key, givenSas = string.IsNullOrEmpty(sas) ? null : sas;
            AzureBlobSecretFile.CheckKeys(string.IsNullOrWhiteSpace(account) ? null : account, givenKey, givenSas);
            var reference = AzureBlobSecretFile.ReferenceFor(configDirectory, name);
            settings = settings with { CredentialSecret = reference, SecretCreatedByModule = true, AccountName = null };   // the Secret names the account
            string keyAccount = account!;
            store = new PendingCredentials("store its keys in a Secret file readable by you only",
                () =>
                {
                    var written = AzureBlobSecretFile.Write(configDirectory, name, keyAccount, givenKey, givenSas);
                    return $"Stored the {(givenKey is null ? "SAS token" : "account key")} of account '{keyAccount}' in {written.File} (readable by you only).";
                });
        }
        else if (account is not null)
        {
            if (settings.CredentialSecret is { } kept && AccountOf(kept) is { } keyed && keyed != account)
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    $"The target keeps keys for account '{keyed}' ({kept}); -AccountName '{account}' alone would not use them. Nothing was saved.", O.AccountName,
                    $"Give the key of '{account}' with -AccountKey or -SasToken, or add -Clear Credential to sign in to '{account}' with an Azure identity.");
            if (settings.CredentialSecret is null) settings = settings with { AccountName = account };
        }
        AzureBlobSettings.Validate(settings);
        return new TargetSettingsEdit(settings) { Credentials = store };
    }

    /// <summary>The account a credential Secret names, or null (no Secret, or one that cannot be read now).</summary>
    private static string? AccountOf(CredentialSecretReference? reference)
    {
        if (reference is null) return null;
        try { return CredentialSecretFile.Read(reference).Values.TryGetValue(AzureBlobKeys.AccountName, out var account) ? account.Trim() : null; }
        catch (LonghornBackupException) { return null; }
    }
}
