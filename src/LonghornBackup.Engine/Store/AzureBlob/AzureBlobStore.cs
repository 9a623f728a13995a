using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// A backupstore in an Azure Blob container, keyed as Longhorn's driver keys it ("&lt;prefix&gt;/backupstore/..."): a
/// listing is a hierarchical listing with delimiter '/', a write is one Put Blob (atomic: readers see the old blob or
/// the new one) with no HEAD before it, a tree delete lists flat below "dir/" (whole path segments only) and deletes
/// each of the format's blobs. The container is never created: a missing one is an error.
/// </summary>
internal sealed class AzureBlobStore : IObjectStore, IDisposable
{
    private const int DeleteParallelism = 8;
    private readonly BlobContainerClient _container;
    private readonly AzureBlobConnection _connection;
    private readonly AzureBlobErrorTranslator _errors;
    private readonly int? _pageSize;
    private readonly IDisposable? _transport;

    public AzureBlobStore(BlobContainerClient container, AzureBlobConnection connection, int? pageSize, IDisposable? transport)
    {
        _container = container;
        _connection = connection;
        _errors = new AzureBlobErrorTranslator(connection);
        _pageSize = pageSize;
        _transport = transport;
    }

    public string Location => _connection.Location;

    /// <summary>One Put Blob (or a committed block list) replaces a blob whole.</summary>
    public bool ReplacesAtomically => true;

    private string BlobName(string key)
    {
        StoreKeys.Segments(key);
        return _connection.Prefix.Length == 0 ? key : _connection.Prefix + "/" + key;
    }

    /// <summary>The name prefix of a directory: "" or ending in '/', so "v1/" never matches "v10/".</summary>
    private string DirectoryPrefix(string directory)
    {
        if (StoreKeys.Segments(directory).Length == 0) return _connection.Prefix.Length == 0 ? "" : _connection.Prefix + "/";
        return BlobName(directory) + "/";
    }

    private async Task<T> Call<T>(AzureBlobOperation op, string key, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested) && e is not Errors.LonghornBackupException)
        {
            throw _errors.Translate(e, op, key);
        }
    }

    public async Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        return await Call(AzureBlobOperation.List, directory, async () =>
        {
            var entries = new HashSet<StoreEntry>();
            var pages = _container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", prefix, cancellationToken).AsPages(null, _pageSize);
            await foreach (var page in pages.ConfigureAwait(false))
            {
                foreach (var item in page.Values)
                {
                    string name = item.IsPrefix ? item.Prefix[prefix.Length..].TrimEnd('/') : item.Blob.Name[prefix.Length..];
                    if (name.Length > 0) entries.Add(new StoreEntry(name, item.IsPrefix));
                }
            }
            return (IReadOnlyList<StoreEntry>)entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        var pages = _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken).AsPages(null, _pageSize);
        await using var e = pages.GetAsyncEnumerator(cancellationToken);
        while (await Call(AzureBlobOperation.List, directory, async () => await e.MoveNextAsync().ConfigureAwait(false), cancellationToken).ConfigureAwait(false))
        {
            foreach (var blob in e.Current.Values)
            {
                string name = blob.Name[prefix.Length..];
                if (name.Length > 0) yield return new StoredObject(name, blob.Properties?.ContentLength ?? 0);
            }
        }
    }

    public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Read, key, async () =>
        {
            try
            {
                var result = await _container.GetBlobClient(BlobName(key)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                return (byte[]?)result.Value.Content.ToArray();
            }
            catch (RequestFailedException e) when (AzureBlobErrorTranslator.IsBlobNotFound(e))
            {
                return null;
            }
        }, cancellationToken);

    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Write, key, async () =>
        {
            // Blocks are a few MiB, far below the SDK's single-upload threshold: one Put Blob, overwriting without a HEAD.
            await _container.GetBlobClient(BlobName(key)).UploadAsync(new BinaryData(data), overwrite: true, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Stat, key, async () =>
        {
            try
            {
                var properties = (await _container.GetBlobClient(BlobName(key)).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                return (ObjectInfo?)new ObjectInfo(properties.ContentLength, properties.LastModified);
            }
            catch (RequestFailedException e) when (AzureBlobErrorTranslator.IsBlobNotFound(e))
            {
                return null;
            }
        }, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Delete, key, async () =>
        {
            await _container.GetBlobClient(BlobName(key)).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public async Task DeleteTreeAsync(string directory, CancellationToken cancellationToken)
    {
        DirectoryPrefix(directory);   // validates the key
        var keys = new List<string>();
        await foreach (var (relative, _) in ListTreeAsync(directory, cancellationToken).ConfigureAwait(false))
            if (OwnFiles.IsOwn(OwnFiles.NameOf(relative)))   // blobs that are not the format's stay, as in a folder store
                keys.Add(directory.Length == 0 ? relative : directory + "/" + relative);
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken },
            async (key, ct) => await DeleteAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public void Dispose() => _transport?.Dispose();
}
