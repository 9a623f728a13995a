using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// A backupstore in an Azure Blob container, keyed as Longhorn's driver keys it ("&lt;prefix&gt;/backupstore/..."): a
/// listing is a hierarchical listing with delimiter '/', a write is one Put Blob (atomic: readers see the old blob or
/// the new one) with no HEAD before it, a tree delete lists flat below "dir/" (whole path segments only) and deletes
/// each of the format's blobs. The container is never created: a missing one is an error. Every request (each page
/// of a listing on its own) is retried whole on transient faults (<see cref="RequestRetries"/>).
/// </summary>
internal sealed class AzureBlobStore : IObjectStore, IDisposable
{
    private const int DeleteParallelism = 8;
    private readonly BlobContainerClient _container;
    private readonly AzureBlobConnection _connection;
    private readonly AzureBlobErrorTranslator _errors;
    private readonly RequestRetries _retries;
    private readonly int? _pageSize;
    private readonly IDisposable? _transport;

    public AzureBlobStore(BlobContainerClient container, AzureBlobConnection connection, RequestRetries retries, int? pageSize, IDisposable? transport)
    {
        _container = container;
        _connection = connection;
        _errors = new AzureBlobErrorTranslator(connection);
        _retries = retries;
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

    /// <summary>One request, made again whole while it fails transiently; the failure that ends it is translated with the attempts made.</summary>
    private Task<T> Call<T>(AzureBlobOperation op, string key, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        _retries.RunAsync(call, AzureBlobErrorTranslator.IsTransient, (e, attempts) => _errors.Translate(e, op, key, attempts), ct);

    /// <summary>The first page of a listing that starts at a continuation token: one request, so a failed page is asked for again on its own.</summary>
    private static async Task<Page<T>?> FirstPageAsync<T>(IAsyncEnumerable<Page<T>> pages, CancellationToken ct)
    {
        await using var e = pages.GetAsyncEnumerator(ct);
        return await e.MoveNextAsync().ConfigureAwait(false) ? e.Current : null;
    }

    public async Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        var entries = new HashSet<StoreEntry>();
        string? continuation = null;
        do
        {
            var page = await Call(AzureBlobOperation.List, directory, ct => FirstPageAsync(
                _container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", prefix, ct).AsPages(continuation, _pageSize), ct), cancellationToken).ConfigureAwait(false);
            if (page is null) break;
            foreach (var item in page.Values)
            {
                string name = item.IsPrefix ? item.Prefix[prefix.Length..].TrimEnd('/') : item.Blob.Name[prefix.Length..];
                if (name.Length > 0) entries.Add(new StoreEntry(name, item.IsPrefix));
            }
            continuation = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(continuation));
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        string? continuation = null;
        do
        {
            var page = await Call(AzureBlobOperation.List, directory, ct => FirstPageAsync(
                _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct).AsPages(continuation, _pageSize), ct), cancellationToken).ConfigureAwait(false);
            if (page is null) break;
            foreach (var blob in page.Values)
            {
                string name = blob.Name[prefix.Length..];
                if (name.Length > 0) yield return new StoredObject(name, blob.Properties?.ContentLength ?? 0);
            }
            continuation = page.ContinuationToken;
        } while (!string.IsNullOrEmpty(continuation));
    }

    public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Read, key, async ct =>
        {
            try
            {
                var result = (await _container.GetBlobClient(BlobName(key)).DownloadContentAsync(ct).ConfigureAwait(false)).Value;
                var data = result.Content.ToArray();
                // The HTTP stack notices a body cut short; this is for stacks (and proxies) that do not.
                if (data.Length < result.Details.ContentLength)
                    throw new IOException($"The response body ended after {data.Length} of the {result.Details.ContentLength} bytes its Content-Length promised.");
                return (byte[]?)data;
            }
            catch (RequestFailedException e) when (AzureBlobErrorTranslator.IsBlobNotFound(e))
            {
                return null;
            }
        }, cancellationToken);

    public Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Write, key, async ct =>
        {
            // Blocks are a few MiB, far below the SDK's single-upload threshold: one Put Blob, overwriting without a HEAD.
            await _container.GetBlobClient(BlobName(key)).UploadAsync(new BinaryData(data), overwrite: true, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Stat, key, async ct =>
        {
            try
            {
                var properties = (await _container.GetBlobClient(BlobName(key)).GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value;
                return (ObjectInfo?)new ObjectInfo(properties.ContentLength, properties.LastModified);
            }
            catch (RequestFailedException e) when (AzureBlobErrorTranslator.IsBlobNotFound(e))
            {
                return null;
            }
        }, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call(AzureBlobOperation.Delete, key, async ct =>
        {
            await _container.GetBlobClient(BlobName(key)).DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false);
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
