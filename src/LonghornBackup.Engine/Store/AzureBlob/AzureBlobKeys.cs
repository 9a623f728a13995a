namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>The variables and Secret keys of Longhorn's Azure Blob driver, and this module's additions.</summary>
public static class AzureBlobKeys
{
    public const string AccountName = "AZBLOB_ACCOUNT_NAME";
    public const string AccountKey = "AZBLOB_ACCOUNT_KEY";
    public const string Endpoint = "AZBLOB_ENDPOINT";
    public const string Cert = "AZBLOB_CERT";
    /// <summary>Not Longhorn's: a shared access signature for the container, instead of the account key.</summary>
    public const string SasToken = "AZBLOB_SAS_TOKEN";
}
