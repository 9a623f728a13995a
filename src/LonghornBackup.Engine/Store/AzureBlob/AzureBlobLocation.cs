namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// An azblob:// target URL's parts: the container, the endpoint suffix after '@' (null when the URL names none, so
/// an endpoint must be given, or core.windows.net applies) and the key prefix without leading or trailing '/'.
/// </summary>
public sealed record AzureBlobLocation(string Container, string? Suffix, string Prefix);
