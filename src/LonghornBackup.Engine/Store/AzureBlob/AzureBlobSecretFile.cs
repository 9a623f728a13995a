using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Keys given to Set-LhBackupTarget for an Azure Blob target are kept as a Kubernetes Secret manifest (Longhorn's
/// AZBLOB_ACCOUNT_NAME and AZBLOB_ACCOUNT_KEY, or AZBLOB_SAS_TOKEN) in a file readable by its owner only, beside
/// targets.json, which keeps only a reference to it, as the S3 driver keeps keys in an AWS credentials file.
/// </summary>
public static class AzureBlobSecretFile
{
    public const string SecretName = "lhbackup-azblob";

    /// <summary>Checks a key pair (or SAS token) given on the command line, before anything is written; names no value.</summary>
    public static void CheckKeys(string? account, string? key, string? sasToken)
    {
        if (account is null || (key is null && sasToken is null))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                account is null ? "An account key or SAS token was given without the storage account's name." : "An account name was given with an empty key.",
                "AccountName", "Give -AccountName with -AccountKey or -SasToken, or -Credential with the account as user name and the key as password.");
        if (!AzureBlobSettings.IsAccountName(account))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"'{account}' is not a storage account name: use 3 to 24 lower-case letters and digits.", "AccountName");
        if (key is not null)
        {
            try { _ = Convert.FromBase64String(key); }
            catch (FormatException)
            {
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    "The account key is not valid base64: an Azure account key is the base64 text the portal shows.", "AccountKey",
                    "Copy the account key again (Access keys of the storage account).");
            }
        }
    }

    /// <summary>Where <see cref="Write"/> puts the Secret of target <paramref name="targetName"/>.</summary>
    public static CredentialSecretReference ReferenceFor(string configDirectory, string targetName) =>
        ModuleSecretFile.ReferenceFor(configDirectory, FileName(targetName), SecretName);

    private static string FileName(string targetName) => $"{targetName}.azblob-secret.yaml";

    /// <summary>Writes the Secret for target <paramref name="targetName"/> (owner-only) and returns the reference to save.</summary>
    public static CredentialSecretReference Write(string configDirectory, string targetName, string account, string? key, string? sasToken)
    {
        CheckKeys(account, key, sasToken);
        var values = new List<KeyValuePair<string, string>> { new("AZBLOB_ACCOUNT_NAME", account) };
        if (key is not null) values.Add(new("AZBLOB_ACCOUNT_KEY", key));
        if (sasToken is not null) values.Add(new("AZBLOB_SAS_TOKEN", sasToken));
        return ModuleSecretFile.Write(configDirectory, FileName(targetName), SecretName, values);
    }

    /// <summary>Removes the Secret file this module wrote for a target (a Secret the user gave is never touched).</summary>
    public static bool RemoveIfCreatedByModule(AzureBlobTargetSettings? settings) =>
        ModuleSecretFile.Remove(settings?.CredentialSecret, settings?.SecretCreatedByModule == true);
}
