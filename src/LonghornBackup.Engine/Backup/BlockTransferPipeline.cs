using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Threading.Channels;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Compression;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Pipeline;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// Moves a snapshot's blocks into the store in three overlapped stages joined by bounded channels:
/// one reader (sequential reads, zero blocks dropped without hashing) → CPU workers (fast hash, checksum, compress)
/// → uploaders (store writes; their count is set apart from the CPU workers because a remote store wants more
/// requests in flight than there are cores). Buffers come from bounded pools, so memory is fixed by the worker
/// counts and the block size, never by the volume size, and the hot path allocates no block buffers.
/// </summary>
internal sealed class BlockTransferPipeline
{
    /// <summary>At most this many bytes of compressed blocks wait for an uploader at once.</summary>
    private const long MaxPayloadBytesInFlight = 96L * 1024 * 1024;

    public required string VolumeName { get; init; }
    public required int BlockSize { get; init; }
    public required ICompressor Compressor { get; init; }
    /// <summary>Checksums of blocks already in the volume's pool (one listing taken at the start).</summary>
    public required HashSet<string> Existing { get; init; }
    /// <summary>Full mode: upload and overwrite every block, never trust the change cache.</summary>
    public required bool Full { get; init; }
    public BlockChangeCache? Cache { get; init; }
    public required int CpuWorkers { get; init; }
    public required int Uploaders { get; init; }

    private sealed record ReadBlock(long Offset, byte[] Data);
    private sealed record Upload(string Checksum, ArrayBufferWriter<byte> Payload, bool Existed, long LogicalBytes);

    /// <summary>XXH128 of a block: ~20x faster than SHA-512, used only to recognise unchanged blocks.</summary>
    private static UInt128 FastHash(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(data, hash);
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash),
                           System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
    }

    public sealed record Result(List<BlockMapping> Blocks, List<(long Offset, UInt128 Fast, string Checksum)> CacheEntries);

    public async Task<Result> RunAsync(IBlockSource source, IObjectStore store, BackupCounters counters, ProgressTracker tracker, CancellationToken ct)
    {
        var offsets = BackupEngine.BlockOffsets(source.GetDataRanges(), BlockSize, source.Size);
        int cpu = Math.Max(1, CpuWorkers), up = Math.Max(1, Uploaders);
        int payloadSlots = (int)Math.Clamp(MaxPayloadBytesInFlight / BlockSize, 2, up + cpu);
        using var rawPool = new BoundedPool<byte[]>(2 * cpu + 1, () => GC.AllocateUninitializedArray<byte>(BlockSize));
        using var payloadPool = new BoundedPool<ArrayBufferWriter<byte>>(payloadSlots, () => new ArrayBufferWriter<byte>(BlockSize + BlockSize / 64 + 1024));
        var reads = Channel.CreateBounded<ReadBlock>(new BoundedChannelOptions(cpu) { SingleWriter = true });
        var uploads = Channel.CreateBounded<Upload>(new BoundedChannelOptions(Math.Max(1, payloadSlots - cpu)));
        var mappings = new ConcurrentQueue<BlockMapping>();
        var cacheEntries = new ConcurrentQueue<(long, UInt128, string)>();
        var claimed = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;
        var cache = Full ? null : Cache;

        async Task ReadAsync()
        {
            try
            {
                foreach (long offset in offsets)
                {
                    var buffer = await rawPool.RentAsync(token).ConfigureAwait(false);
                    source.ReadAt(offset, buffer);
                    Interlocked.Add(ref counters.bytesRead, Math.Min(BlockSize, source.Size - offset));
                    Interlocked.Increment(ref counters.blocksRead);
                    if (!buffer.AsSpan().ContainsAnyExcept((byte)0))
                    {
                        // All-zero blocks are not stored: offsets missing from the map restore as zeros.
                        Interlocked.Increment(ref counters.zeroBlocks);
                        rawPool.Return(buffer);
                        tracker.Add(BlockSize, "Skipping zero blocks");
                        continue;
                    }
                    await reads.Writer.WriteAsync(new ReadBlock(offset, buffer), token).ConfigureAwait(false);
                }
                reads.Writer.TryComplete();
            }
            catch (Exception e) { reads.Writer.TryComplete(e); throw; }
        }

        async Task ProcessAsync()
        {
            await foreach (var block in reads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                Upload? upload = null;
                try
                {
                    var data = block.Data.AsSpan();
                    UInt128 fast = FastHash(data);
                    if (cache is null || !cache.TryGetChecksum(block.Offset, fast, out string checksum))
                    {
                        checksum = Format.Checksum.Of(data);
                        Interlocked.Increment(ref counters.blocksHashed);
                    }
                    else
                    {
                        Interlocked.Increment(ref counters.checksumsFromCache);
                    }
                    mappings.Enqueue(new BlockMapping(block.Offset, checksum));
                    cacheEntries.Enqueue((block.Offset, fast, checksum));
                    bool existed = Existing.Contains(checksum);
                    if (!claimed.TryAdd(checksum, 0))
                        Interlocked.Increment(ref counters.duplicateBlocksInBackup);   // same content at another offset: stored once
                    else if (existed && !Full)
                        Interlocked.Increment(ref counters.existingBlocksSkipped);
                    else
                    {
                        var payload = await payloadPool.RentAsync(token).ConfigureAwait(false);
                        payload.ResetWrittenCount();
                        try { Compressor.Compress(block.Data, payload); }
                        catch { payloadPool.Return(payload); throw; }
                        upload = new Upload(checksum, payload, existed, BlockSize);
                    }
                }
                finally
                {
                    rawPool.Return(block.Data);
                }
                if (upload is null) tracker.Add(BlockSize, "Checking blocks");
                else await uploads.Writer.WriteAsync(upload, token).ConfigureAwait(false);
            }
        }

        async Task UploadAsync()
        {
            await foreach (var u in uploads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await store.WriteAsync(StorePaths.Block(VolumeName, u.Checksum), u.Payload.WrittenMemory, token).ConfigureAwait(false);
                    long stored = u.Payload.WrittenCount;
                    Interlocked.Increment(ref counters.blocksUploaded);
                    Interlocked.Add(ref counters.bytesWritten, stored);
                    if (u.Existed)
                    {
                        Interlocked.Increment(ref counters.reUploadedBlocks);
                        Interlocked.Add(ref counters.reUploadedBytes, stored);
                    }
                    else
                    {
                        Interlocked.Increment(ref counters.newBlocks);
                        Interlocked.Add(ref counters.newlyUploadedBytes, stored);
                    }
                }
                finally
                {
                    payloadPool.Return(u.Payload);
                }
                tracker.Add(u.LogicalBytes, "Uploading blocks");
            }
        }

        var readers = Task.Run(ReadAsync, token);
        var processors = Enumerable.Range(0, cpu).Select(_ => Task.Run(ProcessAsync, token)).ToArray();
        // The upload channel closes when every CPU worker is done (or one failed).
        var processorsDone = Task.WhenAll(processors).ContinueWith(t => uploads.Writer.TryComplete(t.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var uploaders = Enumerable.Range(0, up).Select(_ => Task.Run(UploadAsync, token)).ToArray();
        var all = new List<Task> { readers };
        all.AddRange(processors);
        all.AddRange(uploaders);
        try
        {
            await WorkerGroup.WhenAllFailFast(all, linked).ConfigureAwait(false);
            await processorsDone.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                $"The backup of volume '{VolumeName}' was cancelled.", VolumeName);
        }

        var list = mappings.ToList();
        list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return new Result(list, cacheEntries.ToList());
    }
}
