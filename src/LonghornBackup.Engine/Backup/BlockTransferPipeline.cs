using System.Buffers;
using System.Buffers.Binary;
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
/// Moves a snapshot's blocks into the store in two passes, each a pipeline of overlapped stages joined by bounded
/// channels, so memory is fixed by worker counts and block size, never by the volume size:
/// <list type="number">
/// <item><see cref="ScanAsync"/> needs no store and no lock: one reader (sequential reads, zero blocks dropped without
/// hashing) feeds CPU workers that take each block's fast hash (XXH128) and its checksum, from the change cache when
/// the block is unchanged, else SHA-512. It runs while Longhorn's lock protocol waits its 2 s.</item>
/// <item><see cref="UploadAsync"/> runs under the lock, after one listing of the block pool: it reads again only the
/// blocks to upload, checks each still has the scanned fast hash (a snapshot must not change under a backup),
/// compresses, and hands them to uploaders, whose count is set apart from the CPU workers because a remote store
/// wants more requests in flight than there are cores.</item>
/// </list>
/// </summary>
internal sealed class BlockTransferPipeline
{
    /// <summary>At most this many bytes of compressed blocks wait for an uploader at once.</summary>
    private const long MaxPayloadBytesInFlight = 96L * 1024 * 1024;

    public required string VolumeName { get; init; }
    public required int BlockSize { get; init; }
    public required int CpuWorkers { get; init; }
    public required int Uploaders { get; init; }

    /// <summary>A block of the snapshot: where it is, its fast hash and its checksum.</summary>
    public readonly record struct ScannedBlock(long Offset, UInt128 Fast, string Checksum);

    private sealed record ReadBlock(long Offset, byte[] Data);
    private sealed record Upload(string Checksum, ArrayBufferWriter<byte> Payload, bool Existed);

    /// <summary>Reads and hashes every data block; <paramref name="cache"/> (null for full backups) spares SHA-512.</summary>
    public async Task<List<ScannedBlock>> ScanAsync(IBlockSource source, BlockChangeCache? cache, BackupCounters counters,
        ProgressTracker tracker, CancellationToken ct)
    {
        var offsets = BackupEngine.BlockOffsets(source.GetDataRanges(), BlockSize, source.Size);
        var scanned = new ConcurrentQueue<ScannedBlock>();
        int cpu = Math.Max(1, CpuWorkers);
        using var rawPool = NewRawPool(cpu);
        var reads = Channel.CreateBounded<ReadBlock>(new BoundedChannelOptions(cpu) { SingleWriter = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;

        async Task HashAsync()
        {
            await foreach (var block in reads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
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
                    scanned.Enqueue(new ScannedBlock(block.Offset, fast, checksum));
                }
                finally
                {
                    rawPool.Return(block.Data);
                }
                tracker.Add(BlockSize, "Reading and hashing blocks");
            }
        }

        var tasks = new List<Task> { Task.Run(() => ReadAsync(source, offsets, rawPool, reads.Writer, counters, tracker, dropZero: true, token), token) };
        tasks.AddRange(Enumerable.Range(0, cpu).Select(_ => Task.Run(HashAsync, token)));
        await RunStagesAsync(tasks, linked, ct).ConfigureAwait(false);
        var list = scanned.ToList();
        list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return list;
    }

    /// <summary>
    /// Stores the scanned blocks the store needs: every distinct block in full mode, else those absent from
    /// <paramref name="existing"/>. Each distinct content is stored once per backup.
    /// </summary>
    public async Task UploadAsync(IBlockSource source, IReadOnlyList<ScannedBlock> scanned, HashSet<string> existing, bool full,
        ICompressor compressor, IObjectStore store, BackupCounters counters, ProgressTracker tracker, CancellationToken ct)
    {
        var toUpload = new List<ScannedBlock>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in scanned)
        {
            if (!seen.Add(b.Checksum)) { counters.duplicateBlocksInBackup++; continue; }   // same content at another offset
            if (existing.Contains(b.Checksum) && !full) { counters.existingBlocksSkipped++; continue; }
            toUpload.Add(b);
        }
        tracker.AddTotal((long)toUpload.Count * BlockSize);
        if (toUpload.Count == 0) return;

        int cpu = Math.Max(1, CpuWorkers), up = Math.Max(1, Uploaders);
        int payloadSlots = (int)Math.Clamp(MaxPayloadBytesInFlight / BlockSize, 2, up + cpu);
        using var rawPool = NewRawPool(cpu);
        using var payloadPool = new BoundedPool<ArrayBufferWriter<byte>>(payloadSlots, () => new ArrayBufferWriter<byte>(BlockSize + BlockSize / 64 + 1024));
        var reads = Channel.CreateBounded<ReadBlock>(new BoundedChannelOptions(cpu) { SingleWriter = true });
        var uploads = Channel.CreateBounded<Upload>(new BoundedChannelOptions(Math.Max(1, payloadSlots - cpu)));
        var expected = toUpload.ToDictionary(b => b.Offset);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;

        async Task CompressAsync()
        {
            await foreach (var block in reads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                Upload upload;
                try
                {
                    var b = expected[block.Offset];
                    if (FastHash(block.Data) != b.Fast)
                        throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidData,
                            $"The snapshot image '{source.Description}' changed while it was being backed up (block at offset {block.Offset}). Back up a snapshot, not a volume in use.",
                            source.Description);
                    var payload = await payloadPool.RentAsync(token).ConfigureAwait(false);
                    payload.ResetWrittenCount();
                    try { compressor.Compress(block.Data, payload); }
                    catch { payloadPool.Return(payload); throw; }
                    upload = new Upload(b.Checksum, payload, existing.Contains(b.Checksum));
                }
                finally
                {
                    rawPool.Return(block.Data);
                }
                await uploads.Writer.WriteAsync(upload, token).ConfigureAwait(false);
            }
        }

        async Task StoreAsync()
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
                tracker.Add(BlockSize, "Uploading blocks");
            }
        }

        var offsets = toUpload.Select(b => b.Offset).ToList();
        var readers = Task.Run(() => ReadAsync(source, offsets, rawPool, reads.Writer, counters, tracker: null, dropZero: false, token), token);
        var compressors = Enumerable.Range(0, cpu).Select(_ => Task.Run(CompressAsync, token)).ToArray();
        // The upload channel closes when every CPU worker is done (or one failed).
        var compressorsDone = Task.WhenAll(compressors).ContinueWith(t => uploads.Writer.TryComplete(t.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var all = new List<Task> { readers };
        all.AddRange(compressors);
        all.AddRange(Enumerable.Range(0, up).Select(_ => Task.Run(StoreAsync, token)));
        await RunStagesAsync(all, linked, ct).ConfigureAwait(false);
        await compressorsDone.ConfigureAwait(false);
    }

    /// <summary>The reader stage: blocks in offset order into pooled buffers; all-zero blocks dropped when asked.</summary>
    private async Task ReadAsync(IBlockSource source, List<long> offsets, BoundedPool<byte[]> pool, ChannelWriter<ReadBlock> output,
        BackupCounters counters, ProgressTracker? tracker, bool dropZero, CancellationToken token)
    {
        try
        {
            foreach (long offset in offsets)
            {
                var buffer = await pool.RentAsync(token).ConfigureAwait(false);
                source.ReadAt(offset, buffer);
                Interlocked.Add(ref counters.bytesRead, Math.Min(BlockSize, source.Size - offset));
                Interlocked.Increment(ref counters.blocksRead);
                if (dropZero && !buffer.AsSpan().ContainsAnyExcept((byte)0))
                {
                    // All-zero blocks are not stored: offsets missing from the map restore as zeros.
                    Interlocked.Increment(ref counters.zeroBlocks);
                    pool.Return(buffer);
                    tracker?.Add(BlockSize, "Skipping zero blocks");
                    continue;
                }
                await output.WriteAsync(new ReadBlock(offset, buffer), token).ConfigureAwait(false);
            }
            output.TryComplete();
        }
        catch (Exception e) { output.TryComplete(e); throw; }
    }

    private async Task RunStagesAsync(List<Task> tasks, CancellationTokenSource linked, CancellationToken ct)
    {
        try
        {
            await WorkerGroup.WhenAllFailFast(tasks, linked).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                $"The backup of volume '{VolumeName}' was cancelled.", VolumeName);
        }
    }

    private BoundedPool<byte[]> NewRawPool(int cpu) => new(2 * cpu + 1, () => GC.AllocateUninitializedArray<byte>(BlockSize));

    /// <summary>XXH128 of a block: many times faster than SHA-512; recognises unchanged blocks only.</summary>
    private static UInt128 FastHash(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(data, hash);
        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
    }
}
