#if NET
using LonghornBackup.Engine.Store.AzureBlob;
#endif
using LonghornBackup.Engine.Store.Cifs;
using LonghornBackup.Engine.Store.Folder;
using LonghornBackup.Engine.Store.Nfs;
using LonghornBackup.Engine.Store.S3;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>The registered store drivers: one line per driver. URL parsing, opening and probing find drivers here.</summary>
public static class StoreDrivers
{
    public static IReadOnlyList<IStoreDriver> All { get; } = new IStoreDriver[]
    {
        FolderDriver.Instance,
        S3Driver.Instance,
        NfsDriver.Instance,
        CifsDriver.Instance,
#if NET
        AzureBlobDriver.Instance,   // .NET 8 only: see LonghornBackup.Engine.csproj
#endif
    };

    /// <summary>The driver for a lower-case scheme ("" for a plain path), or null.</summary>
    public static IStoreDriver? ForScheme(string scheme) => All.FirstOrDefault(d => d.Schemes.Contains(scheme));

    /// <summary>The driver a URL's text names by its scheme (without parsing the rest), or null.</summary>
    public static IStoreDriver? ForUrlText(string url)
    {
        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        return ForScheme(schemeEnd < 0 ? "" : url[..schemeEnd].ToLowerInvariant());
    }
}
