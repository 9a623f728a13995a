using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>Checks an Azure Blob target's settings before they are saved, so a bad value is refused and nothing is changed.</summary>
public static class AzureBlobSettings
{
    public static void Validate(AzureBlobTargetSettings settings)
    {
        if (settings.EndpointUrl is { } endpoint) AzureBlobConnection.ParseEndpoint(endpoint, "-EndpointUrl");
        if (settings.AccountName is { } account && !IsAccountName(account))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"'{account}' is not a storage account name: use 3 to 24 lower-case letters and digits.", "AccountName");
        if (settings.CACertificatePath is { } ca) CaCertificates.LoadFile(ca, "-CACertificatePath");
        if (settings.CredentialSecret is { } reference && (string.IsNullOrWhiteSpace(reference.Name) || !Path.IsPathFullyQualified(reference.File)))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                "A credential Secret is referenced by its name and the absolute path of its file.", null);
    }

    /// <summary>Azure's rule for account names (Azurite's devstoreaccount1 keeps it too).</summary>
    public static bool IsAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9');
}
