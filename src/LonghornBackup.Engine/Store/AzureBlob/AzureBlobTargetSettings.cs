using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// The non-secret settings of an Azure Blob target, saved under "AzureBlob" in targets.json. Every null value is
/// looked up at use time: the credential Secret first, then the environment (AZBLOB_* variables).
/// </summary>
public sealed record AzureBlobTargetSettings
{
    /// <summary>The Blob service endpoint (Azurite, Azure Stack), e.g. http://127.0.0.1:10000; the account is appended as Longhorn does.</summary>
    public string? EndpointUrl { get; init; }
    /// <summary>The storage account, when no Secret or AZBLOB_ACCOUNT_NAME names it (SAS tokens and identities need it).</summary>
    public string? AccountName { get; init; }
    /// <summary>A PEM bundle of extra trusted CA certificates.</summary>
    public string? CACertificatePath { get; init; }
    /// <summary>
    /// The Secret manifest that holds AZBLOB_ACCOUNT_NAME and AZBLOB_ACCOUNT_KEY (or AZBLOB_SAS_TOKEN), and possibly
    /// AZBLOB_ENDPOINT, AZBLOB_CERT and proxies: its name and file, never its values. Null: the environment, then an identity.
    /// </summary>
    public CredentialSecretReference? CredentialSecret { get; init; }
    /// <summary>True when Set-LhBackupTarget wrote the Secret file from keys it was given, so removing the target removes it.</summary>
    public bool SecretCreatedByModule { get; init; }
}
