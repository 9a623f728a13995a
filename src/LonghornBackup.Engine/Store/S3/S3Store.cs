using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.Runtime.Internal.Util;
using Amazon.S3.Model;
using LonghornBackup.Engine.Store.Http;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// A backupstore in an S3 bucket (AWS, MinIO, Ceph RGW, ...), driven as Longhorn's S3 driver does (docs/backupstore-format.md §7.5):
/// keys are "&lt;prefix&gt;/&lt;key&gt;", a listing is ListObjectsV2 with delimiter '/', a write is one PutObject (atomic
/// in S3: readers see the old object or the new one), a delete tree lists the keys and deletes each. Every request is
/// retried whole on transient faults (<see cref="RequestRetries"/>): a GET whose body is reset or cut short is sent
/// again and read from the start, into the caller's buffer as if the failed attempt had never been.
/// </summary>
internal sealed class S3Store : IObjectStore, IBufferedObjectReader, IDisposable
{
    private const int DeleteParallelism = 8;
    private readonly IAmazonS3 _client;
    private readonly S3Connection _connection;
    private readonly S3ErrorTranslator _errors;
    private readonly RequestRetries _retries;
    private readonly TimeSpan _bodyWaitLimit;
    private readonly int? _pageSize;

    /// <param name="bodyWaitLimit">How long a GET may wait for more of its body before the attempt fails as a time limit.</param>
    public S3Store(IAmazonS3 client, S3Connection connection, RequestRetries retries, TimeSpan bodyWaitLimit, int? pageSize = null)
    {
        _client = client;
        _pageSize = pageSize;
        _connection = connection;
        _errors = new S3ErrorTranslator(connection);
        _retries = retries;
        _bodyWaitLimit = bodyWaitLimit;
    }

    public string Location => _connection.Location;

    /// <summary>S3 promises atomic PUTs, but S3-compatible servers and gateways exist that write into the final object.</summary>
    public bool ReplacesAtomically => false;

    private string Bucket => _connection.Bucket;

    private string KeyOf(string key)
    {
        StoreKeys.Segments(key);
        return _connection.Prefix.Length == 0 ? key : _connection.Prefix + "/" + key;
    }

    /// <summary>The key prefix of a directory: "" or ending in '/'.</summary>
    private string DirectoryPrefix(string directory)
    {
        if (StoreKeys.Segments(directory).Length == 0) return _connection.Prefix.Length == 0 ? "" : _connection.Prefix + "/";
        return KeyOf(directory) + "/";
    }

    /// <summary>One request, made again whole while it fails transiently; the failure that ends it is translated with the attempts made.</summary>
    private Task<T> Call<T>(S3Operation op, string key, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        _retries.RunAsync(call, S3ErrorTranslator.IsTransient, (e, attempts) => _errors.Translate(e, op, key, attempts), ct);

    public async Task<IReadOnlyList<StoreEntry>> ListAsync(string directory, CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        // A set: some S3-compatible stores repeat a common prefix on several pages.
        var entries = new HashSet<StoreEntry>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, Delimiter = "/", MaxKeys = _pageSize };
        do
        {
            var page = await Call(S3Operation.List, directory, ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? new List<S3Object>())
            {
                string name = o.Key[prefix.Length..];
                if (name.Length > 0) entries.Add(new StoreEntry(name, false));   // "" is a folder marker object
            }
            foreach (var p in page.CommonPrefixes ?? new List<string>())
            {
                string name = p[prefix.Length..].TrimEnd('/');
                if (name.Length > 0) entries.Add(new StoreEntry(name, true));
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (request.ContinuationToken is not null);
        var sorted = entries.ToList();
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return sorted;
    }

    public async IAsyncEnumerable<StoredObject> ListTreeAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string prefix = DirectoryPrefix(directory);
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, MaxKeys = _pageSize };
        do
        {
            var page = await Call(S3Operation.List, directory, ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? new List<S3Object>())
            {
                string relative = o.Key[prefix.Length..];
                if (relative.Length > 0 && !relative.EndsWith('/')) yield return new StoredObject(relative, o.Size ?? 0);
            }
            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (request.ContinuationToken is not null);
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        byte[]? data = null;
        bool found = await GetAsync(key, checkMd5: true, async (response, body) =>
        {
            long length = response.ContentLength;
            using var buffer = length is > 0 and < int.MaxValue ? new MemoryStream((int)length) : new MemoryStream();
            var chunk = new byte[length is > 0 and < 64 * 1024 ? (int)length : 64 * 1024];
            for (int n; (n = await body.ReadAsync(chunk, 0, chunk.Length).ConfigureAwait(false)) > 0;) buffer.Write(chunk, 0, n);
            data = buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }, cancellationToken).ConfigureAwait(false);
        return found ? data : null;
    }

    /// <summary>
    /// Streams the object into <paramref name="destination"/>: a restore reads thousands of blocks into reused
    /// buffers instead of a fresh large array each. The body is read beneath the SDK's MD5 check (see
    /// <see cref="IBufferedObjectReader"/>): its managed MD5 took half the CPU of a restore from S3, and every block
    /// read this way is verified against its SHA-512 checksum and read again when that fails. An attempt whose body
    /// fails starts the buffer over.
    /// </summary>
    public Task<bool> ReadToAsync(string key, ArrayBufferWriter<byte> destination, CancellationToken cancellationToken)
    {
        destination.ResetWrittenCount();
        return GetAsync(key, checkMd5: false, async (response, body) =>
        {
            destination.ResetWrittenCount();
            long length = response.ContentLength;
            int chunk = length is > 0 and < int.MaxValue ? (int)length : 64 * 1024;
            while (true)
            {
                // ArrayBufferWriter's memory is an array: the array overload also exists on .NET Framework.
                if (!MemoryMarshal.TryGetArray<byte>(destination.GetMemory(chunk), out var room)) throw new InvalidOperationException("ArrayBufferWriter memory is an array.");
                int n = await body.ReadAsync(room.Array!, room.Offset, room.Count).ConfigureAwait(false);
                if (n == 0) break;
                destination.Advance(n);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The object's body straight into <paramref name="destination"/> when its length fits (see ReadToAsync for the
    /// transport check); a longer object is not read, only its length returned.
    /// </summary>
    public async Task<int> ReadIntoAsync(string key, byte[] destination, CancellationToken cancellationToken)
    {
        int result = -1;
        bool found = await GetAsync(key, checkMd5: false, async (response, body) =>
        {
            long length = response.ContentLength;
            if (length < 0 || length > destination.Length)
            {
                result = (int)Math.Min(Math.Max(length, destination.Length + 1L), int.MaxValue);
                return;
            }
            int total = 0;
            while (total < length)
            {
                int n = await body.ReadAsync(destination, total, (int)length - total).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
            }
            result = total;
        }, cancellationToken).ConfigureAwait(false);
        return found ? result : -1;
    }

    /// <summary>The HTTP body beneath the MD5 check the SDK wraps it in when the ETag is an MD5 (see ReadToAsync).</summary>
    private static Stream BodyBeneathMd5Check(GetObjectResponse response) =>
        response.ResponseStream is HashStream md5Check ? md5Check.GetNonWrapperBaseStream() : response.ResponseStream;

    /// <summary>
    /// One GET, its body handed to <paramref name="consume"/> (through the SDK's MD5 check when <paramref name="checkMd5"/>);
    /// false when the object does not exist. A body that is reset, cut short, stalls or fails its MD5 check fails the
    /// attempt, and the next one calls <paramref name="consume"/> again with the body from its start.
    /// </summary>
    private Task<bool> GetAsync(string key, bool checkMd5, Func<GetObjectResponse, ResponseBodyReader, Task> consume, CancellationToken cancellationToken)
    {
        string objectKey = KeyOf(key);
        return Call(S3Operation.Read, key, async ct =>
        {
            try
            {
                using var response = await _client.GetObjectAsync(Bucket, objectKey, ct).ConfigureAwait(false);
                using var body = new ResponseBodyReader(checkMd5 ? response.ResponseStream : BodyBeneathMd5Check(response), response.ContentLength, _bodyWaitLimit, ct);
                await consume(response, body).ConfigureAwait(false);
                return true;
            }
            catch (AmazonS3Exception e) when (S3ErrorTranslator.IsNotFound(e))
            {
                return false;
            }
        }, cancellationToken);
    }

    /// <summary>
    /// A cfg (a backup's commit point, or volume.cfg) goes to a temporary key first and is then copied over its own key
    /// by the server: a writer killed in the middle of the upload leaves a torn temporary object (removed by
    /// Repair-LhBackupVolume), never a torn cfg, on a server that writes a PUT into the object as it arrives. Blocks are
    /// covered by in-flight records instead (docs/backupstore-format.md §14), lock files by their lease.
    /// </summary>
    public async Task WriteAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!key.EndsWith(".cfg", StringComparison.Ordinal))
        {
            await PutAsync(key, data, cancellationToken).ConfigureAwait(false);
            return;
        }
        string temp = $"{key}.tmp.{(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100}{Random.Shared.Next(100000, 999999)}";
        await PutAsync(temp, data, cancellationToken, nameInErrors: key).ConfigureAwait(false);
        try
        {
            await Call(S3Operation.Write, key, ct => _client.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = Bucket,
                SourceKey = KeyOf(temp),
                DestinationBucket = Bucket,
                DestinationKey = KeyOf(key),
            }, ct), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try { await DeleteAsync(temp, CancellationToken.None).ConfigureAwait(false); }
            catch (Errors.LonghornBackupException) { /* left behind: a temporary file Repair-LhBackupVolume removes */ }
        }
    }

    private async Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken, string? nameInErrors = null)
    {
        string objectKey = KeyOf(key);
        await Call(S3Operation.Write, nameInErrors ?? key, async ct =>
        {
            using var body = StreamOver(data);
            var request = new PutObjectRequest
            {
                BucketName = Bucket,
                Key = objectKey,
                InputStream = body,
                AutoCloseStream = false,
                // Plain bodies: stores that do not decode aws-chunked framing would keep it as part of the object.
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            };
            return await _client.PutObjectAsync(request, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        string objectKey = KeyOf(key);
        return await Call<ObjectInfo?>(S3Operation.Stat, key, async ct =>
        {
            try
            {
                var head = await _client.GetObjectMetadataAsync(Bucket, objectKey, ct).ConfigureAwait(false);
                var modified = head.LastModified is DateTime t ? new DateTimeOffset(DateTime.SpecifyKind(t.ToUniversalTime(), DateTimeKind.Utc)) : DateTimeOffset.MinValue;
                return new ObjectInfo(head.ContentLength, modified);
            }
            catch (AmazonS3Exception e) when (S3ErrorTranslator.IsNotFound(e))
            {
                return null;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        string objectKey = KeyOf(key);
        await Call(S3Operation.Delete, key, ct => _client.DeleteObjectAsync(Bucket, objectKey, ct), cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteTreeAsync(string directory, CancellationToken cancellationToken)
    {
        DirectoryPrefix(directory);   // validates the key
        var keys = new List<string>();
        await foreach (var (relative, _) in ListTreeAsync(directory, cancellationToken).ConfigureAwait(false))
            if (OwnFiles.IsOwn(OwnFiles.NameOf(relative)))   // objects that are not the format's stay, as in a folder store
                keys.Add(directory.Length == 0 ? relative : directory + "/" + relative);
        // One DeleteObject per key, as Longhorn does: DeleteObjects needs a Content-MD5 some S3-compatible stores insist on.
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = DeleteParallelism, CancellationToken = cancellationToken },
            async (key, ct) => await DeleteAsync(key, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>A read-only stream over the bytes, without copying when they live in an array.</summary>
    private static MemoryStream StreamOver(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    public void Dispose() => _client.Dispose();
}
