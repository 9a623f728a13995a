#if NET
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.AzureBlob;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>Set-LhBackupTarget for azblob:// URLs (PowerShell 7 only, as the Azure Blob driver).</summary>
public sealed partial class SetLhBackupTargetCommand
{
    /// <summary>The settings of an Azure Blob target and, when keys were given, what to write to its Secret file.</summary>
    private (AzureBlobTargetSettings Settings, (string Account, string? Key, string? Sas)? Keys) BuildAzureBlobSettings(TargetUrl url)
    {
        string? account = string.IsNullOrWhiteSpace(AccountName) ? null : AccountName.Trim();
        string? key = AccountKey is null ? null : SecureStringArgumentAttribute.Plain(AccountKey);
        string? sas = SasToken is null ? null : SecureStringArgumentAttribute.Plain(SasToken).TrimStart('?');
        if (ParameterSetName == WithCredential)
        {
            account = Credential!.UserName;
            key = Credential.GetNetworkCredential().Password;
        }
        (string, string?, string?)? keys = null;
        if (key is not null || sas is not null || ParameterSetName == WithCredential)
        {
            AzureBlobSecretFile.CheckKeys(string.IsNullOrWhiteSpace(account) ? null : account, string.IsNullOrEmpty(key) ? null : key, string.IsNullOrEmpty(sas) ? null : sas);
            keys = (account!, string.IsNullOrEmpty(key) ? null : key, string.IsNullOrEmpty(sas) ? null : sas);
        }
        var settings = new AzureBlobTargetSettings
        {
            EndpointUrl = string.IsNullOrWhiteSpace(EndpointUrl) ? null : EndpointUrl.Trim(),
            AccountName = keys is null ? account : null,   // with keys, the Secret names the account
            CACertificatePath = CACertificatePath is null ? null : ResolvePath(CACertificatePath),
        };
        AzureBlobSettings.Validate(settings);
        return (settings, keys);
    }

    /// <summary>Writes the keys' Secret file (owner-only) and returns the settings that reference it.</summary>
    private AzureBlobTargetSettings StoreAzureBlobKeys(AzureBlobTargetSettings settings, (string Account, string? Key, string? Sas) keys)
    {
        var reference = AzureBlobSecretFile.Write(Registry.ConfigDirectory, Name, keys.Account, keys.Key, keys.Sas);
        Say($"Stored the {(keys.Key is null ? "SAS token" : "account key")} of account '{keys.Account}' in {reference.File} (readable by you only).");
        return settings with { CredentialSecret = reference, SecretCreatedByModule = true };
    }
}
#endif
