using System.Collections.Concurrent;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Reads any byte range of a backup's image on demand: blocks are fetched through the store driver, decoded and
/// verified against their checksums (BlockVerifier, as a restore does), and kept in a bounded cache; holes read as
/// zeros without I/O; reads that follow one another fetch the next blocks ahead. A block that is missing or corrupt
/// fails the reads that touch it (and is named once through <see cref="OnBlockFailed"/>); every other read works.
/// </summary>
internal sealed class BackupBlockReader
{
    private static readonly byte[] Zeros = new byte[256 * 1024];
    private const int HeldBeyondCache = 4;
    private readonly IObjectStore _store;
    private readonly RestoreSource _source;
    private readonly Dictionary<long, string> _map;   // block index -> checksum
    private readonly BlockCache _cache;
    private readonly BlockFetcher _fetcher;
    private readonly BatchChecksums _checksums;
    private readonly Dictionary<string, Task> _loading = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly CancellationToken _stopping;
    private readonly int _prefetchBlocks;
    private readonly int _claimLimit;   // blocks reads may hold or await at once: the cache and the few replies hold beyond it
    private readonly SequentialStreams _streams;
    private long _bytesRead, _blocksFetched, _failedReads, _readSinceCollect;

    /// <summary>
    /// Bytes served between two young-generation collections. The runtime sizes its young generation by the CPU's
    /// cache (260 MiB of L3 on the test VM), so the little garbage each read leaves would otherwise pile up to tens of
    /// MB before the first collection: a 4 GiB export peaked at 143 MB with a 64 MiB cache, and at 122 MB (and 15%
    /// faster, touching less fresh memory) collecting every 64 MiB served. A young collection takes well under a millisecond.
    /// </summary>
    private const long CollectEvery = 64L * 1024 * 1024;

    /// <param name="cacheBytes">Memory for blocks: the loads' buffers and the cache (at least four blocks whatever it says).</param>
    /// <param name="fetchers">Blocks fetched (and verified) at once.</param>
    public BackupBlockReader(IObjectStore store, RestoreSource source, long cacheBytes, int fetchers, CancellationToken stopping)
    {
        _store = store;
        _source = source;
        _stopping = stopping;
        _map = new Dictionary<long, string>(source.Backup.Blocks.Count);
        foreach (var b in source.Backup.Blocks) _map[b.Offset / source.BlockSize] = b.BlockChecksum;
        // The cache size covers all block memory: the fetch stage's buffers (BlockFetcher.BuffersHeld), the blocks
        // replies hold beyond the cache while they are sent (a few), then the cached blocks.
        // Fewer loads than asked when their buffers would leave less than four blocks of cache.
        long buffers = cacheBytes / (source.BlockSize + BlockCache.FrameRoom);
        fetchers = Math.Max(1, fetchers);
        while (fetchers > 1 && BlockFetcher.BuffersHeld(fetchers) > buffers - 4 - HeldBeyondCache) fetchers--;
        long cacheBlocks = buffers - BlockFetcher.BuffersHeld(fetchers) - HeldBeyondCache;
        int capacity = (int)Math.Max(4, Math.Min(int.MaxValue, cacheBlocks));
        _cache = new BlockCache(source.BlockSize, capacity, capacity + HeldBeyondCache + BlockFetcher.BuffersHeld(fetchers));
        _claimLimit = capacity + HeldBeyondCache;
        _fetcher = new BlockFetcher(store, _cache, source.Method, source.Backup.Name, fetchers, stopping);
        _checksums = new BatchChecksums(source.BlockSize, fetchers, _fetcher.MoreBlocksComing, stopping);
        // Ahead of a sequential reader: enough to keep every fetcher busy, never more than half the cache.
        _prefetchBlocks = Math.Max(1, Math.Min(Math.Max(4, fetchers * 2), capacity / 2));
        _streams = new SequentialStreams(_prefetchBlocks, capacity / 2);
    }

    public long Size => _source.Size;
    public int BlockSize => _source.BlockSize;
    public string VolumeName => _source.Backup.VolumeName;
    public string BackupName => _source.Backup.Name;
    public BlockCache Cache => _cache;
    public BatchChecksums Checksums => _checksums;
    public long BytesRead => Interlocked.Read(ref _bytesRead);
    public long BlocksFetched => Interlocked.Read(ref _blocksFetched);
    public long BytesFetched => _fetcher.BytesFetched;
    public long FailedReads => Interlocked.Read(ref _failedReads);

    /// <summary>Called once per broken block, from a server thread, with the error that names it.</summary>
    public Action<LonghornBackupException>? OnBlockFailed { get; set; }

    /// <summary>Offset of the first block that holds data; null for an image of holes only.</summary>
    public long? FirstMappedOffset => _source.Backup.Blocks.Count > 0 ? _source.Backup.Blocks[0].Offset : null;

    /// <summary>True when the block at that index holds data (false: a hole, which reads as zeros).</summary>
    public bool IsMapped(long blockIndex) => _map.ContainsKey(blockIndex);

    /// <summary>
    /// The bytes of [offset, offset + length), which must lie inside the image. Throws the block's error
    /// (BlockMissing, ChecksumMismatch, BlockDecompressionFailed, StoreReadFailed) when one it needs cannot be read.
    /// </summary>
    public async Task<BlockReadLease> ReadAsync(long offset, int length, CancellationToken ct)
    {
        if (length == 0) return new BlockReadLease();
        long first = offset / BlockSize, last = (offset + Math.Max(length, 1) - 1) / BlockSize;
        PrefetchAfter(first, last);
        var pending = await ClaimAsync(first, last, ct).ConfigureAwait(false);

        var lease = new BlockReadLease();
        LonghornBackupException? failure = null;
        for (int n = 0; n < pending.Length; n++)
        {
            long block = first + n;
            int start = block == first ? (int)(offset - block * BlockSize) : 0;
            int end = block == last ? (int)(offset + length - block * BlockSize) : BlockSize;
            if (pending[n] is not { } task)
            {
                for (int at = start; at < end; at += Zeros.Length)
                    lease.Segments.Add(new ArraySegment<byte>(Zeros, 0, Math.Min(Zeros.Length, end - at)));
                continue;
            }
            try
            {
                var held = await task.ConfigureAwait(false);
                lease.Hold(held);
                var bytes = held.Block;
                lease.Segments.Add(new ArraySegment<byte>(bytes.Array!, bytes.Offset + start, end - start));
            }
            catch (LonghornBackupException e)
            {
                failure ??= e;   // still await the others, so each releases its block
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
        if (failure is not null)
        {
            lease.Dispose();
            Interlocked.Increment(ref _failedReads);
            throw failure;
        }
        Interlocked.Add(ref _bytesRead, length);
        if (Interlocked.Add(ref _readSinceCollect, length) > CollectEvery)
        {
            Interlocked.Exchange(ref _readSinceCollect, 0);
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        }
        return lease;
    }

    /// <summary>Starts fetching the blocks of a range into the cache (NBD_CMD_CACHE); failures show on the reads.</summary>
    public void Prefetch(long offset, long length)
    {
        long first = offset / BlockSize, last = (offset + Math.Max(length, 1) - 1) / BlockSize;
        for (long i = first; i <= last && i - first < _cache.Capacity / 2; i++)
            if (_map.TryGetValue(i, out var checksum)) _ = StartLoad(checksum, i);
    }

    private void PrefetchAfter(long first, long last)
    {
        var (from, count) = _streams.Record(first, last, _prefetchBlocks);
        for (long i = from; i < from + count; i++)
            if (_map.TryGetValue(i, out var checksum)) _ = StartLoad(checksum, i);
    }

    /// <summary>
    /// The blocks of blocks [first, last] (null for holes), each held for this read: from the cache, or reserved and
    /// loaded (the load's arrival in the cache holds it for every read waiting on it, so blocks fetched for other reads
    /// can never evict it first). All are claimed at once, and only while the blocks reads hold or await stay within
    /// the cache's budget, so however many reads are in flight, block memory stays inside the cache size.
    /// </summary>
    private async Task<Task<BlockCache.CachedBlock>?[]> ClaimAsync(long first, long last, CancellationToken ct)
    {
        var pending = new Task<BlockCache.CachedBlock>?[last - first + 1];
        var indexes = new List<long>();
        var checksums = new List<string>();
        for (long i = first; i <= last; i++)
            if (_map.TryGetValue(i, out var checksum)) { indexes.Add(i); checksums.Add(checksum); }
        if (checksums.Count == 0) return pending;
        var held = new BlockCache.CachedBlock?[checksums.Count];
        var reserved = new BlockCache.Reservation?[checksums.Count];
        while (!_cache.TryClaimAll(checksums, _claimLimit, held, reserved, out var room))
        {
            if (ct.CanBeCanceled) await Task.WhenAny(room, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
            else await room.ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        for (int k = 0; k < checksums.Count; k++)
            pending[indexes[k] - first] = held[k] is { } hit ? Task.FromResult(hit) : LoadReservedAsync(checksums[k], indexes[k], reserved[k]!);
        return pending;
    }

    /// <summary>Loads a reserved block and takes it from the cache, where it arrived held for this read.</summary>
    private async Task<BlockCache.CachedBlock> LoadReservedAsync(string checksum, long blockIndex, BlockCache.Reservation reservation)
    {
        try
        {
            await StartLoad(checksum, blockIndex).ConfigureAwait(false);
        }
        catch (LonghornBackupException e)
        {
            _cache.CancelReservation(reservation);
            Report(e, checksum);
            throw;
        }
        catch
        {
            _cache.CancelReservation(reservation);
            throw;
        }
        return _cache.TakeReserved(reservation) ?? throw new LonghornBackupException(ErrorIds.StoreReadFailed, ErrorKind.ReadError,
            $"Block {checksum} of backup '{BackupName}' was loaded but did not reach the export's cache.", checksum);
    }

    private Task StartLoad(string checksum, long blockIndex)
    {
        lock (_gate)
        {
            if (_cache.Contains(checksum)) return Task.CompletedTask;
            if (_loading.TryGetValue(checksum, out var running)) return running;
            var task = Task.Run(() => LoadAsync(checksum, blockIndex));
            _loading[checksum] = task;
            // A load that ends without its block arriving (failed, or cached meanwhile) leaves the table here.
            _ = task.ContinueWith(done =>
            {
                lock (_gate) if (_loading.TryGetValue(checksum, out var current) && current == done) _loading.Remove(checksum);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return task;
        }
    }

    /// <summary>
    /// A loaded block enters the cache and its load leaves the table in one step, so a read can never join a load whose
    /// block already arrived (and may have left the cache again): it reserved before the arrival, and the block came
    /// held for it, or after, and starts a load of its own.
    /// </summary>
    private void Arrived(string checksum, Action addToCache)
    {
        lock (_gate)
        {
            addToCache();
            _loading.Remove(checksum);
        }
    }

    /// <summary>
    /// Fetches a block into the cache: read into a cache buffer and decoded there under a load slot, then hashed with
    /// whatever other blocks wait (BatchChecksums), so the other loads go on reading while blocks wait for their group.
    /// Loads (reading, decoding or awaiting their hash) are bounded by the load slots, one buffer each, which keeps all
    /// block memory inside the cache size. A block that fails is read again through BlockVerifier.ReadVerifiedAsync
    /// (three reads in all, as a restore), which names the failure; a missing block is BlockMissing naming its offset.
    /// </summary>
    private async Task LoadAsync(string checksum, long blockIndex)
    {
        string key = StorePaths.Block(VolumeName, checksum);
        try
        {
            var (buffer, start, readAgain) = await _fetcher.ReadAsync(key, checksum, blockIndex).ConfigureAwait(false);
            if (buffer is not null)
            {
                // The hasher now owns the buffer and the load slot: it caches the block (or gives the buffer back) and
                // frees the slot as soon as the block's group is hashed.
                var verified = _checksums.VerifyAsync(new ReadOnlyMemory<byte>(buffer, start, BlockSize), checksum, ok =>
                {
                    if (ok) Arrived(checksum, () => _cache.AddOwned(checksum, buffer, start));
                    else _cache.Return(buffer);
                    _fetcher.ReleaseSlot();
                });
                _fetcher.HandedOn();
                if (await verified.ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _blocksFetched);
                    return;
                }
                readAgain = true;   // the damage may be the transfer's
            }
            if (!readAgain) return;   // cached meanwhile
            await _fetcher.WithDecodeSlot(async scratch =>
            {
                var data = await BlockVerifier.ReadVerifiedAsync(_store, key, checksum, _source.Method, BlockSize, scratch.Stored, scratch.Decoded, 1,
                    _fetcher.AddFetched, _stopping).ConfigureAwait(false) ?? throw _fetcher.Missing(checksum, blockIndex, key);
                Arrived(checksum, () => _cache.Add(checksum, data.Span));
                Interlocked.Increment(ref _blocksFetched);
                return true;
            }).ConfigureAwait(false);
        }
        catch (LonghornBackupException e) when (e.ErrorId is ErrorIds.ChecksumMismatch or ErrorIds.BlockDecompressionFailed)
        {
            // The verifier names the block by its file; say which offset of this backup it breaks, too.
            throw new LonghornBackupException(e.ErrorId, e.Kind, $"{e.Message} (offset {blockIndex * BlockSize} of backup '{BackupName}')",
                e.TargetObject, e.RecommendedAction, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.StoreReadFailed, ErrorKind.ReadError,
                $"Block {checksum} (offset {blockIndex * BlockSize}) of backup '{BackupName}' cannot be read: {e.Message}", checksum, inner: e);
        }
    }

    private void Report(LonghornBackupException e, string checksum)
    {
        if (_reported.TryAdd(checksum, true)) OnBlockFailed?.Invoke(e);
    }
}
