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
/// Moves a snapshot's blocks into the store through a pipeline of overlapped stages joined by bounded channels, so
/// memory is fixed by worker counts and block size, never by the volume size:
/// <list type="number">
/// <item><see cref="TransferAsync"/> reads each block once: one reader (sequential reads, zero blocks dropped without
/// hashing) feeds CPU workers that take the block's fast hash (XXH128) and its checksum (from the change cache when the
/// block is unchanged, else SHA-512) and compress the blocks the store lacks, for uploaders whose count is set apart
/// from the CPU workers because a remote store wants more requests in flight than there are cores. It runs while
/// Longhorn's lock protocol waits its 2 s, against a listing of the block pool taken just before.</item>
/// <item><see cref="UploadMissingAsync"/> runs under the lock for the blocks a second listing shows missing (a deletion that
/// finished during the wait may have freed them): it reads them again, checks each still has its fast hash (a
/// snapshot must not change under a backup), compresses and uploads them.</item>
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

    /// <summary>Where every block is named before it is sent (null for a dry run, which sends nothing).</summary>
    public InFlightJournal? Journal { get; init; }

    /// <summary>
    /// Blocks the store lists that another run recorded as in flight (<see cref="InFlightLeftovers"/>): possibly torn,
    /// so read back and verified before this backup relies on them, and sent again only when that fails.
    /// </summary>
    public ISet<string> Suspect { get; init; } = new HashSet<string>();

    /// <summary>
    /// A full backup on a store that does not replace objects atomically: each block the store has is read back and
    /// sent again only when it is not whole, since overwriting a good block there could tear it under the backups
    /// that use it.
    /// </summary>
    public bool VerifyBeforeOverwrite { get; init; }

    /// <summary>Stored blocks this pipeline read back and found whole (see <see cref="Suspect"/>).</summary>
    public ConcurrentQueue<string> VerifiedInStore { get; } = new();

    /// <summary>Blocks this pipeline sent to the store, by any of its runs.</summary>
    public ConcurrentQueue<string> Sent { get; } = new();

    /// <summary>A block of the snapshot: where it is, its fast hash and its checksum.</summary>
    public readonly record struct ScannedBlock(long Offset, UInt128 Fast, string Checksum);

    private sealed record ReadBlock(long Offset, byte[] Data);

    /// <summary>A compressed block for the uploaders; with <paramref name="VerifyFirst"/>, sent only if the stored one is not whole.</summary>
    private sealed record Upload(string Checksum, ArrayBufferWriter<byte> Payload, UploadKind Kind, bool VerifyFirst = false);

    /// <summary>How an upload counts in the backup's metrics.</summary>
    private enum UploadKind
    {
        /// <summary>New to the store: NewlyUploadedDataSize.</summary>
        New,
        /// <summary>A full backup overwriting a block the store had: ReUploadedDataSize.</summary>
        Overwrite,
        /// <summary>The same block written again after a concurrent deletion freed it: counted once already.</summary>
        Again,
    }

    /// <summary>
    /// Reads, hashes and stores every data block of the snapshot in one pass: every distinct block in full mode, else
    /// those absent from <paramref name="known"/>; <paramref name="cache"/> (null for full backups) spares SHA-512 for
    /// unchanged blocks. Returns every data block with its checksum, in offset order, and the checksums it stored.
    /// </summary>
    public async Task<(List<ScannedBlock> Scanned, HashSet<string> Uploaded)> TransferAsync(IBlockSource source, BlockChangeCache? cache, HashSet<string> known, bool full,
        ICompressor compressor, IObjectStore store, BackupCounters counters, ProgressTracker tracker, CancellationToken ct)
    {
        var offsets = BackupEngine.BlockOffsets(source.GetDataRanges(), BlockSize, source.Size);
        tracker.AddTotal((long)offsets.Count * BlockSize);   // known from the extents before anything is read
        var scanned = new ConcurrentQueue<ScannedBlock>();
        var seen = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var uploaded = new ConcurrentQueue<string>();
        using var stages = new Stages(this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;

        async Task HashAndCompressAsync()
        {
            var batch = new byte[stages.HashBatch][];
            var offsetsOf = new long[stages.HashBatch];
            var fastOf = new UInt128[stages.HashBatch];
            var checksumOf = new string[stages.HashBatch];
            var toHash = new List<int>(stages.HashBatch);
            var hashInputs = new ReadOnlyMemory<byte>[stages.HashBatch];
            var hashOutputs = new string[stages.HashBatch];
            while (true)
            {
                // A batch of blocks, so SHA-512 can hash several side by side (Checksum.OfEach); only the end of the
                // snapshot makes a shorter one.
                int count = 0;
                while (count < batch.Length && await stages.Reads.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    if (!stages.Reads.Reader.TryRead(out var read)) continue;
                    batch[count] = read.Data;
                    offsetsOf[count++] = read.Offset;
                }
                if (count == 0) return;

                int returned = 0;
                try
                {
                    toHash.Clear();
                    for (int i = 0; i < count; i++)
                    {
                        fastOf[i] = FastHash(batch[i]);
                        if (cache is not null && cache.TryGetChecksum(offsetsOf[i], fastOf[i], out string cached))
                        {
                            checksumOf[i] = cached;
                            Interlocked.Increment(ref counters.checksumsFromCache);
                        }
                        else toHash.Add(i);
                    }
                    if (toHash.Count > 0)
                    {
                        for (int j = 0; j < toHash.Count; j++) hashInputs[j] = batch[toHash[j]];
                        Format.Checksum.OfEach(hashInputs.AsSpan(0, toHash.Count), hashOutputs);
                        for (int j = 0; j < toHash.Count; j++) checksumOf[toHash[j]] = hashOutputs[j];
                        Interlocked.Add(ref counters.blocksHashed, toHash.Count);
                    }

                    while (returned < count)
                    {
                        int i = returned;
                        string checksum = checksumOf[i];
                        scanned.Enqueue(new ScannedBlock(offsetsOf[i], fastOf[i], checksum));
                        Upload? upload = null;
                        bool stored = known.Contains(checksum), suspect = stored && Suspect.Contains(checksum);
                        if (!seen.TryAdd(checksum, 0)) Interlocked.Increment(ref counters.duplicateBlocksInBackup);   // same content at another offset
                        else if (!full && stored && !suspect) Interlocked.Increment(ref counters.existingBlocksSkipped);
                        else
                        {
                            // A stored block that may be torn, or one a full backup must not overwrite blindly, is read
                            // back first; only the blocks that will surely be sent go into the next in-flight record now.
                            bool verifyFirst = suspect || (full && stored && VerifyBeforeOverwrite);
                            if (!verifyFirst) Journal?.Announce(checksum);
                            upload = await CompressAsync(batch[i], checksum, full && stored ? UploadKind.Overwrite : UploadKind.New,
                                compressor, stages.PayloadPool, token, verifyFirst).ConfigureAwait(false);
                        }
                        stages.RawPool.Return(batch[i]);
                        returned++;
                        if (upload is null) tracker.Add(BlockSize, "Backing up blocks");
                        else await stages.Uploads.Writer.WriteAsync(upload, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    // On failure, the buffers not handed back yet (the pool would otherwise starve the reader).
                    for (int i = returned; i < count; i++) stages.RawPool.Return(batch[i]);
                }
            }
        }

        var readers = Task.Run(() => ReadAsync(source, offsets, stages.RawPool, stages.Reads.Writer, counters, tracker, dropZero: true, token), token);
        var workers = Enumerable.Range(0, stages.Cpu).Select(_ => Task.Run(HashAndCompressAsync, token)).ToArray();
        await RunWithUploadersAsync(readers, workers, stages.Uploads, stages.Uploaders, store, stages.PayloadPool, counters, tracker, "Backing up blocks",
            uploaded, compressor.Name, linked, ct).ConfigureAwait(false);
        var list = scanned.ToList();
        list.Sort((x, y) => x.Offset.CompareTo(y.Offset));
        return (list, new HashSet<string>(uploaded, StringComparer.Ordinal));
    }

    /// <summary>
    /// Stores, under the lock, blocks of this backup that the store turned out to lack after <see cref="TransferAsync"/>
    /// (one per checksum). <paramref name="uploadedBefore"/> are those this backup had stored already: a concurrent
    /// deletion freed them, and they count once in the metrics; the others count as new to the store.
    /// </summary>
    public async Task UploadMissingAsync(IBlockSource source, IReadOnlyList<ScannedBlock> toUpload, ISet<string> uploadedBefore,
        ICompressor compressor, IObjectStore store, BackupCounters counters, ProgressTracker tracker, CancellationToken ct)
    {
        tracker.AddTotal((long)toUpload.Count * BlockSize);
        if (toUpload.Count == 0) return;

        using var stages = new Stages(this);
        var expected = toUpload.ToDictionary(b => b.Offset);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;

        async Task VerifyAndCompressAsync()
        {
            await foreach (var block in stages.Reads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                Upload upload;
                try
                {
                    var b = expected[block.Offset];
                    if (FastHash(block.Data) != b.Fast)
                        throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.InvalidData,
                            $"The snapshot image '{source.Description}' changed while it was being backed up (block at offset {block.Offset}). Back up a snapshot, not a volume in use.",
                            source.Description);
                    Journal?.Announce(b.Checksum);
                    upload = await CompressAsync(block.Data, b.Checksum, uploadedBefore.Contains(b.Checksum) ? UploadKind.Again : UploadKind.New,
                        compressor, stages.PayloadPool, token).ConfigureAwait(false);
                }
                finally
                {
                    stages.RawPool.Return(block.Data);
                }
                await stages.Uploads.Writer.WriteAsync(upload, token).ConfigureAwait(false);
            }
        }

        var offsets = toUpload.Select(b => b.Offset).ToList();
        var readers = Task.Run(() => ReadAsync(source, offsets, stages.RawPool, stages.Reads.Writer, counters, tracker: null, dropZero: false, token), token);
        var workers = Enumerable.Range(0, stages.Cpu).Select(_ => Task.Run(VerifyAndCompressAsync, token)).ToArray();
        await RunWithUploadersAsync(readers, workers, stages.Uploads, stages.Uploaders, store, stages.PayloadPool, counters, tracker, "Uploading blocks",
            uploaded: null, compressor.Name, linked, ct).ConfigureAwait(false);
    }

    private static async Task<Upload> CompressAsync(byte[] data, string checksum, UploadKind kind, ICompressor compressor,
        BoundedPool<ArrayBufferWriter<byte>> payloadPool, CancellationToken token, bool verifyFirst = false)
    {
        var payload = await payloadPool.RentAsync(token).ConfigureAwait(false);
        payload.ResetWrittenCount();
        try { compressor.Compress(data, payload); }
        catch { payloadPool.Return(payload); throw; }
        return new Upload(checksum, payload, kind, verifyFirst);
    }

    /// <summary>
    /// Runs the reader and CPU workers with <paramref name="uploaders"/> store writers behind them; the upload channel
    /// closes when every CPU worker is done (or one failed). Any failure stops every stage.
    /// </summary>
    private async Task RunWithUploadersAsync(Task readers, Task[] workers, Channel<Upload> uploads, int uploaders, IObjectStore store,
        BoundedPool<ArrayBufferWriter<byte>> payloadPool, BackupCounters counters, ProgressTracker tracker, string status,
        ConcurrentQueue<string>? uploaded, string method, CancellationTokenSource linked, CancellationToken ct)
    {
        var token = linked.Token;

        async Task StoreAsync()
        {
            var storedCopy = new ArrayBufferWriter<byte>(BlockSize + BlockSize / 64 + 1024);
            var scratch = new ArrayBufferWriter<byte>(BlockSize);
            await foreach (var u in uploads.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    string key = StorePaths.Block(VolumeName, u.Checksum);
                    if (u.VerifyFirst && await StoredBlockIsWholeAsync(store, key, u, method, storedCopy, scratch, token).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref counters.blocksVerifiedInStore);
                        VerifiedInStore.Enqueue(u.Checksum);
                        if (u.Kind == UploadKind.New) Interlocked.Increment(ref counters.existingBlocksSkipped);
                        tracker.Add(BlockSize, status);
                        continue;
                    }
                    if (Journal is not null) await Journal.CoverAsync(u.Checksum, token).ConfigureAwait(false);
                    await store.WriteAsync(key, u.Payload.WrittenMemory, token).ConfigureAwait(false);
                    uploaded?.Enqueue(u.Checksum);
                    Sent.Enqueue(u.Checksum);
                    long stored = u.Payload.WrittenCount;
                    Interlocked.Increment(ref counters.blocksUploaded);
                    Interlocked.Add(ref counters.bytesWritten, stored);
                    if (u.Kind == UploadKind.Overwrite)
                    {
                        Interlocked.Increment(ref counters.reUploadedBlocks);
                        Interlocked.Add(ref counters.reUploadedBytes, stored);
                    }
                    else if (u.Kind == UploadKind.New)
                    {
                        Interlocked.Increment(ref counters.newBlocks);
                        Interlocked.Add(ref counters.newlyUploadedBytes, stored);
                    }
                }
                finally
                {
                    payloadPool.Return(u.Payload);
                }
                tracker.Add(BlockSize, status);
            }
        }

        var workersDone = Task.WhenAll(workers).ContinueWith(t => uploads.Writer.TryComplete(t.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var all = new List<Task> { readers };
        all.AddRange(workers);
        all.AddRange(Enumerable.Range(0, uploaders).Select(_ => Task.Run(StoreAsync, token)));
        await RunStagesAsync(all, linked, ct).ConfigureAwait(false);
        await workersDone.ConfigureAwait(false);
    }

    /// <summary>
    /// Whether the block the store holds under <paramref name="key"/> is whole: the same bytes this run would send, or
    /// bytes that decode (Longhorn's compressor may have written them) to one block with the block's checksum.
    /// </summary>
    private async Task<bool> StoredBlockIsWholeAsync(IObjectStore store, string key, Upload upload, string method,
        ArrayBufferWriter<byte> storedCopy, ArrayBufferWriter<byte> scratch, CancellationToken token)
    {
        if (!await store.ReadToAsync(key, storedCopy, token).ConfigureAwait(false)) return false;
        if (storedCopy.WrittenSpan.SequenceEqual(upload.Payload.WrittenSpan)) return true;
        try
        {
            Restore.BlockVerifier.DecodeAndVerify(method, upload.Checksum, key, storedCopy.WrittenMemory, BlockSize, scratch);
            return true;
        }
        catch (LonghornBackupException e) when (e.Kind == ErrorKind.InvalidData)
        {
            return false;
        }
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

    /// <summary>The buffer pools and channels of one run of the pipeline, sized by the worker counts.</summary>
    private sealed class Stages : IDisposable
    {
        public Stages(BlockTransferPipeline pipeline)
        {
            Cpu = Math.Max(1, pipeline.CpuWorkers);
            Uploaders = Math.Max(1, pipeline.Uploaders);
            int payloadSlots = pipeline.PayloadSlots(Cpu, Uploaders);
            HashBatch = Format.Checksum.BatchSize(pipeline.BlockSize, Cpu);
            RawPool = pipeline.NewRawPool(Cpu * HashBatch + Cpu + 1);
            PayloadPool = pipeline.NewPayloadPool(payloadSlots);
            Reads = Channel.CreateBounded<ReadBlock>(new BoundedChannelOptions(Cpu * HashBatch) { SingleWriter = true });
            Uploads = Channel.CreateBounded<Upload>(new BoundedChannelOptions(Math.Max(1, payloadSlots - Cpu)));
        }

        public int Cpu { get; }
        public int Uploaders { get; }
        /// <summary>Blocks a CPU worker takes at once.</summary>
        public int HashBatch { get; }
        public BoundedPool<byte[]> RawPool { get; }
        public BoundedPool<ArrayBufferWriter<byte>> PayloadPool { get; }
        public Channel<ReadBlock> Reads { get; }
        public Channel<Upload> Uploads { get; }

        public void Dispose()
        {
            RawPool.Dispose();
            PayloadPool.Dispose();
        }
    }

    private BoundedPool<byte[]> NewRawPool(int slots) => new(slots, () => GC.AllocateUninitializedArray<byte>(BlockSize));

    private BoundedPool<ArrayBufferWriter<byte>> NewPayloadPool(int slots) =>
        new(slots, () => new ArrayBufferWriter<byte>(BlockSize + BlockSize / 64 + 1024));

    /// <summary>Compressed blocks waiting for an uploader, or being compressed: bounded in bytes, at least two.</summary>
    private int PayloadSlots(int cpu, int uploaders) => (int)Math.Clamp(MaxPayloadBytesInFlight / BlockSize, 2, uploaders + cpu);

    /// <summary>XXH128 of a block: many times faster than SHA-512; recognises unchanged blocks only.</summary>
    private static UInt128 FastHash(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(data, hash);
        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
    }
}
