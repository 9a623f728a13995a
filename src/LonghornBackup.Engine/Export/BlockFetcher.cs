using System.Buffers;
using System.Collections.Concurrent;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// The export's fetch stage: reads a block from the store straight into a cache buffer and finds the block there,
/// without a copy when it is stored as it is (incompressible data), or decodes it into a second buffer. Load slots
/// bound the buffers loads hold (one each, from the read until the block is cached); decode slots, as many as cores,
/// bound the loads that need a second buffer or the scratch writers.
/// </summary>
internal sealed class BlockFetcher
{
    private readonly IObjectStore _store;
    private readonly BlockCache _cache;
    private readonly string _method;
    private readonly string _backupName;
    private readonly CancellationToken _stopping;
    private readonly SemaphoreSlim _loadSlots;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly ConcurrentBag<(ArrayBufferWriter<byte> Stored, ArrayBufferWriter<byte> Decoded)> _scratch = new();
    private long _bytesFetched;
    private int _loadsWaiting, _loadsReading;   // loads waiting for a load slot; loads holding one, not yet handed to the hashers

    public BlockFetcher(IObjectStore store, BlockCache cache, string method, string backupName, int loads, CancellationToken stopping)
    {
        _store = store;
        _cache = cache;
        _method = method;
        _backupName = backupName;
        _stopping = stopping;
        _loadSlots = new SemaphoreSlim(Math.Max(1, loads));
        _decodeSlots = new SemaphoreSlim(Decoders(loads));
    }

    /// <summary>
    /// Block buffers this stage may hold beyond the cache with <paramref name="loads"/> loads: one per load, and per
    /// decode slot a second buffer and a scratch writer of about a block.
    /// </summary>
    public static int BuffersHeld(int loads) => Math.Max(1, loads) + 2 * Decoders(loads);

    /// <summary>Decoding is work for a core, not a wait: as many at once as cores (two at least), never more than loads.</summary>
    private static int Decoders(int loads) => Math.Min(Math.Max(1, loads), Math.Max(2, Environment.ProcessorCount));

    private int BlockSize => _cache.BlockSize;

    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>Counts bytes read from the store outside <see cref="ReadAsync"/> (a verified re-read).</summary>
    public void AddFetched(int bytes) => Interlocked.Add(ref _bytesFetched, bytes);

    /// <summary>A block <see cref="ReadAsync"/> returned is with the hashers: no longer counted as reading.</summary>
    public void HandedOn() => Interlocked.Decrement(ref _loadsReading);

    /// <summary>A block <see cref="ReadAsync"/> returned is cached or given back: its load slot is free.</summary>
    public void ReleaseSlot() => _loadSlots.Release();

    /// <summary>
    /// Whether a block may reach the hashers soon, so a group is worth waiting for: a load is reading one, or one waits
    /// for a load slot that is free (slots held by blocks already waiting for their hash free no sooner than the group).
    /// </summary>
    public bool MoreBlocksComing() =>
        Volatile.Read(ref _loadsReading) > 0 || (Volatile.Read(ref _loadsWaiting) > 0 && _loadSlots.CurrentCount > 0);

    /// <summary>
    /// Reads a block straight into a cache buffer and finds it there (see <see cref="DecodeAsync"/>). Returns the buffer
    /// holding the block and where it starts, with a load slot held and counted as reading (the caller hands both to
    /// the hashers); or no buffer and whether to read it again, verified (it did not decode) or not
    /// (it was cached meanwhile).
    /// </summary>
    public async Task<(byte[]? Buffer, int Start, bool ReadAgain)> ReadAsync(string key, string checksum, long blockIndex)
    {
        Interlocked.Increment(ref _loadsWaiting);
        try
        {
            await _loadSlots.WaitAsync(_stopping).ConfigureAwait(false);
            Interlocked.Increment(ref _loadsReading);   // before it stops waiting, so MoreBlocksComing never misses it
        }
        finally
        {
            Interlocked.Decrement(ref _loadsWaiting);
        }
        if (_cache.Contains(checksum))
        {
            Interlocked.Decrement(ref _loadsReading);
            _loadSlots.Release();
            return (null, 0, false);
        }
        byte[]? buffer = _cache.Rent();
        bool handedOn = false;
        try
        {
            int length = await _store.ReadIntoAsync(key, buffer, _stopping).ConfigureAwait(false);
            if (length < 0) throw Missing(checksum, blockIndex, key);
            int start;
            try
            {
                if (length <= buffer.Length)
                {
                    Interlocked.Add(ref _bytesFetched, length);
                    (buffer, start) = await DecodeAsync(key, checksum, buffer, length).ConfigureAwait(false);
                }
                else start = await ReadLargeAsync(key, checksum, blockIndex, buffer).ConfigureAwait(false);
            }
            catch (LonghornBackupException e) when (e.ErrorId != ErrorIds.BlockMissing) { return (null, 0, true); }
            handedOn = true;
            return (buffer, start, false);
        }
        finally
        {
            if (!handedOn)
            {
                Interlocked.Decrement(ref _loadsReading);
                if (buffer is not null) _cache.Return(buffer);
                _loadSlots.Release();
            }
        }
    }

    /// <summary>
    /// The block in a buffer holding its stored form: where it lies when it is stored as it is (compression none, or
    /// an lz4 frame of one stored block: incompressible data), with no copy; else decoded into a second buffer under a
    /// decode slot, and the first given back. Throws the verifier's error when it does not decode to one whole block.
    /// </summary>
    private async Task<(byte[] Buffer, int Start)> DecodeAsync(string key, string checksum, byte[] buffer, int length)
    {
        var stored = new ReadOnlyMemory<byte>(buffer, 0, length);
        string method = CompressionMethods.ForStoredBlock(_method, stored.Span).Name;
        if (method == CompressionMethods.None && length == BlockSize) return (buffer, 0);
        if (method == CompressionMethods.Lz4 && Lz4FrameSpanDecoder.TryFindStoredContent(stored.Span, out int start, out int size)
            && size == BlockSize && start <= BlockCache.FrameRoom)
            return (buffer, start);
        return await WithDecodeSlot(scratch =>
        {
            var decoded = _cache.Rent();
            try
            {
                DecodeInto(key, checksum, stored, scratch.Decoded, decoded);
            }
            catch
            {
                _cache.Return(decoded);
                throw;
            }
            _cache.Return(buffer);
            return Task.FromResult((decoded, 0));
        }).ConfigureAwait(false);
    }

    /// <summary>A stored block longer than a buffer (damaged, or not written by lz4 or gzip): read whole, decoded into the buffer.</summary>
    private Task<int> ReadLargeAsync(string key, string checksum, long blockIndex, byte[] buffer) =>
        WithDecodeSlot(async scratch =>
        {
            if (!await _store.ReadToAsync(key, scratch.Stored, _stopping).ConfigureAwait(false)) throw Missing(checksum, blockIndex, key);
            Interlocked.Add(ref _bytesFetched, scratch.Stored.WrittenCount);
            DecodeInto(key, checksum, scratch.Stored.WrittenMemory, scratch.Decoded, buffer);
            return 0;
        });

    /// <summary>
    /// Runs <paramref name="work"/> under a decode slot with the scratch writers (a stored block too long for a buffer,
    /// a block decoded by the stream decoders, a verified re-read), which it must not keep.
    /// </summary>
    public async Task<T> WithDecodeSlot<T>(Func<(ArrayBufferWriter<byte> Stored, ArrayBufferWriter<byte> Decoded), Task<T>> work)
    {
        await _decodeSlots.WaitAsync(_stopping).ConfigureAwait(false);
        // Both grow on first use: most blocks never need them.
        if (!_scratch.TryTake(out var scratch)) scratch = (new ArrayBufferWriter<byte>(), new ArrayBufferWriter<byte>());
        try
        {
            return await work(scratch).ConfigureAwait(false);
        }
        finally
        {
            scratch.Stored.ResetWrittenCount();
            scratch.Decoded.ResetWrittenCount();
            _scratch.Add(scratch);
            _decodeSlots.Release();
        }
    }

    public LonghornBackupException Missing(string checksum, long blockIndex, string key) => new(ErrorIds.BlockMissing, ErrorKind.InvalidData,
        $"Block {checksum} (offset {blockIndex * BlockSize}) of backup '{_backupName}' is missing from the store: {key}",
        key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the volume.");

    /// <summary>One whole block into the start of <paramref name="buffer"/>; throws the verifier's error when it does not decode to one.</summary>
    private void DecodeInto(string key, string checksum, ReadOnlyMemory<byte> stored, ArrayBufferWriter<byte> decoded, byte[] buffer)
    {
        if (CompressionMethods.ForStoredBlock(_method, stored.Span).Name == CompressionMethods.Lz4
            && Lz4FrameSpanDecoder.TryDecode(stored.Span, buffer, out var content) && content.Length == BlockSize)
        {
            if (content.InFrame) stored.Span.Slice(content.Start, content.Length).CopyTo(buffer);
            return;
        }
        BlockVerifier.Decode(_method, checksum, key, stored, BlockSize, decoded).Span.CopyTo(buffer);
    }
}
