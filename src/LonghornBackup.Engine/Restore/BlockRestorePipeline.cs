using System.Buffers;
using System.Threading.Channels;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Pipeline;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Writes a backup's blocks into an open image: fetchers read and decode blocks into pooled buffers, verifiers (one
/// per core) check their checksums several at once, and one writer puts each verified block at its offsets. One
/// writer, because the kernel serialises writes to one file anyway (several writers only spin on its lock), and the
/// verifiers keep hashing meanwhile. Memory is fixed by the worker counts and the block size, never by the volume size.
/// </summary>
internal sealed class BlockRestorePipeline
{
    public required IObjectStore Store { get; init; }
    public required string VolumeName { get; init; }
    public required string BackupName { get; init; }
    /// <summary>The compression method to decode with (with Longhorn's gzip/lz4 fallback on the stored bytes).</summary>
    public required string Method { get; init; }
    public required int BlockSize { get; init; }
    /// <summary>The image size: blocks past it are not written, the last one is cut to it.</summary>
    public required long Size { get; init; }
    /// <summary>The path as the user gave it, for messages.</summary>
    public required string OutputPath { get; init; }
    /// <summary>A device needs zeros written where a fresh sparse file already reads as zeros.</summary>
    public required bool IsDevice { get; init; }
    /// <summary>Blocks fetched at once (8 for S3, whose downloads are latency-bound; one per core for a folder).</summary>
    public required int Workers { get; init; }
    /// <summary>Write zeros for a block that is missing or corrupt on every read, and report it, instead of failing.</summary>
    public bool SkipDamaged { get; init; }

    /// <summary>The blocks written as zeros (SkipDamaged).</summary>
    public IReadOnlyList<DamagedBlock> Damaged => _damaged.OrderBy(d => d.Offsets[0]).ToList();

    private readonly System.Collections.Concurrent.ConcurrentBag<DamagedBlock> _damaged = new();

    /// <summary>Completes when writing may start; until then workers only fill the buffer pool. Its failure fails the pipeline.</summary>
    public Task WriteGate { get; init; } = Task.CompletedTask;

    /// <summary>A stored block with every offset it is written at.</summary>
    public readonly record struct Item(string Checksum, long[] Offsets);

    /// <summary>One block in flight: the bytes read from the store, and room to decode them when they are compressed.</summary>
    private sealed class BlockBuffers(int blockSize)
    {
        public ArrayBufferWriter<byte> Stored { get; } = new(blockSize + blockSize / 64 + 1024);
        public ArrayBufferWriter<byte> Decoded { get; } = new();   // grows on first use: incompressible lz4 never needs it
    }

    /// <summary>
    /// A block read and decoded, its checksum not checked yet; Damaged when it did not even decode; Salvaged when it is
    /// already given up on (zeros, reported).
    /// </summary>
    private readonly record struct FetchedBlock(int Index, string Key, BlockBuffers Buffers, ReadOnlyMemory<byte> Data, bool Damaged, bool Salvaged = false);

    private readonly record struct VerifiedBlock(BlockBuffers Buffers, ReadOnlyMemory<byte> Data, long[] Offsets);

    /// <summary>Restores every item into <paramref name="handle"/>; returns the stored bytes read.</summary>
    public async Task<long> RunAsync(SafeFileHandle handle, IReadOnlyList<Item> items, HashSet<long> listedOffsets,
        ProgressTracker tracker, CancellationToken ct)
    {
        // Fetchers read and decode blocks, Workers of them at once (downloads from S3 are latency-bound); verifiers,
        // one per core, check their checksums in batches (multi-buffer SHA-512, see Checksum.BatchSize), however many
        // downloads are in flight; one writer writes them.
        int fetchers = Math.Max(1, Workers);
        int verifiers = Math.Max(1, Math.Min(fetchers, Environment.ProcessorCount));
        int batch = Checksum.BatchSize(BlockSize, verifiers);
        // Room for a full batch per verifier (with fewer, verifiers each holding part of a batch could take every
        // buffer and wait for one another), or a block per fetcher, plus one being written and one waiting for the
        // writer. Memory is that many blocks read plus as many decoded, whatever the volume size.
        int slots = Math.Max(fetchers, verifiers * batch) + 2;
        using var pool = new BoundedPool<BlockBuffers>(slots, () => new BlockBuffers(BlockSize));
        var fetched = Channel.CreateUnbounded<FetchedBlock>();   // bounded by the pool
        var verified = Channel.CreateBounded<VerifiedBlock>(new BoundedChannelOptions(slots) { SingleReader = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;
        long downloaded = 0;
        int next = 0;

        async Task FetchAsync()
        {
            while (true)
            {
                int index = Interlocked.Increment(ref next) - 1;
                if (index >= items.Count) return;
                var item = items[index];
                var buffers = await pool.RentAsync(token).ConfigureAwait(false);
                bool handedOn = false;
                try
                {
                    string key = StorePaths.Block(VolumeName, item.Checksum);
                    if (!await ReadAsync(item, key, buffers.Stored).ConfigureAwait(false))
                    {
                        await fetched.Writer.WriteAsync(new FetchedBlock(index, key, buffers, Salvage(item, DamageKind.Missing, "The block file is not in the store."), false, Salvaged: true), token).ConfigureAwait(false);
                        handedOn = true;
                        continue;
                    }
                    ReadOnlyMemory<byte> data = default;
                    bool damaged = false;
                    try { data = BlockVerifier.Decode(Method, item.Checksum, key, buffers.Stored.WrittenMemory, BlockSize, buffers.Decoded); }
                    catch (LonghornBackupException) { damaged = true; }   // read again by the verifier, see ReadVerifiedAgainAsync
                    await fetched.Writer.WriteAsync(new FetchedBlock(index, key, buffers, data, damaged), token).ConfigureAwait(false);
                    handedOn = true;
                }
                finally
                {
                    if (!handedOn) pool.Return(buffers);   // a failed read must not starve the pool
                }
            }
        }

        async Task VerifyAsync()
        {
            var taken = new FetchedBlock[batch];
            var data = new ReadOnlyMemory<byte>[batch];
            var actual = new string[batch];
            while (true)
            {
                int count = 0, sent = 0;
                try
                {
                    // A full batch, or what is left once every block is fetched.
                    while (count < batch && await fetched.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                        while (count < batch && fetched.Reader.TryRead(out var block))
                        {
                            taken[count] = block;
                            data[count++] = block.Data;
                        }
                    if (count == 0) return;
                    Checksum.OfEach(data.AsSpan(0, count), actual);
                    for (int j = 0; j < count; j++)
                        if (!taken[j].Salvaged && (taken[j].Damaged || actual[j] != items[taken[j].Index].Checksum))
                            data[j] = await ReadVerifiedAgainAsync(items[taken[j].Index], taken[j].Key, taken[j].Buffers).ConfigureAwait(false);
                    for (; sent < count; sent++)
                        await verified.Writer.WriteAsync(new VerifiedBlock(taken[sent].Buffers, data[sent], items[taken[sent].Index].Offsets), token).ConfigureAwait(false);
                }
                finally
                {
                    // Buffers not handed to the writer go back (a failure mid-batch must not starve the pool).
                    for (int j = sent; j < count; j++) pool.Return(taken[j].Buffers);
                }
            }
        }

        // False for a missing block when salvaging (the caller writes zeros); otherwise a missing block fails the restore.
        async Task<bool> ReadAsync(Item item, string key, ArrayBufferWriter<byte> stored)
        {
            if (!await Store.ReadToAsync(key, stored, token).ConfigureAwait(false))
                return SkipDamaged ? false : throw Missing(item, key);
            Interlocked.Add(ref downloaded, stored.WrittenCount);
            return true;
        }

        // A block that does not decode to its checksum may have been damaged on the way (bodies are not checked in
        // transit, see IBufferedObjectReader): it is read again, and only a block damaged every time fails the restore.
        async Task<ReadOnlyMemory<byte>> ReadVerifiedAgainAsync(Item item, string key, BlockBuffers buffers)
        {
            try
            {
                return await BlockVerifier.ReadVerifiedAsync(Store, key, item.Checksum, Method, BlockSize, buffers.Stored, buffers.Decoded,
                    readsSoFar: 1, n => Interlocked.Add(ref downloaded, n), token).ConfigureAwait(false) ?? throw Missing(item, key);
            }
            catch (LonghornBackupException e) when (SkipDamaged && e.Kind == ErrorKind.InvalidData)   // missing, or damaged on every read
            {
                return Salvage(item, e.ErrorId == ErrorIds.BlockMissing ? DamageKind.Missing : DamageKind.Corrupt, e.Message);
            }
        }

        async Task WriteAsync()
        {
            if (!WriteGate.IsCompleted)
            {
                // Task.WaitAsync(token), which .NET Framework lacks: stop waiting at once when the pipeline is cancelled.
                await Task.WhenAny(WriteGate, Task.Delay(Timeout.Infinite, token)).ConfigureAwait(false);
                token.ThrowIfCancellationRequested();
            }
            await WriteGate.ConfigureAwait(false);   // its failure is the pipeline's
            var behind = new WriteBehind(handle);
            if (IsDevice) ZeroUnlistedRanges(handle, listedOffsets, behind, token);
            await foreach (var block in verified.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    // Zero blocks stay holes in a fresh sparse file; a device needs the zeros written.
                    bool write = IsDevice || block.Data.Span.ContainsAnyExcept((byte)0);
                    foreach (long offset in block.Offsets)
                    {
                        if (write) WriteAt(handle, block.Data.Span[..(int)Math.Min(BlockSize, Size - offset)], offset, behind);
                        tracker.Add(BlockSize, "Restoring blocks");
                    }
                }
                finally
                {
                    pool.Return(block.Buffers);
                }
            }
            behind.Drain();
        }

        // Each stage's queue closes when the stage before it is done (or one of its tasks failed).
        static Task CloseWhenDone<T>(Task[] stage, ChannelWriter<T> queue) =>
            Task.WhenAll(stage).ContinueWith(t => queue.TryComplete(t.Exception?.InnerException),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var fetchTasks = Enumerable.Range(0, fetchers).Select(_ => Task.Run(FetchAsync, token)).ToArray();
        var verifyTasks = Enumerable.Range(0, verifiers).Select(_ => Task.Run(VerifyAsync, token)).ToArray();
        var fetchersDone = CloseWhenDone(fetchTasks, fetched.Writer);
        var verifiersDone = CloseWhenDone(verifyTasks, verified.Writer);
        var all = new List<Task>(fetchTasks.Concat(verifyTasks)) { Task.Run(WriteAsync, token) };
        try
        {
            await WorkerGroup.WhenAllFailFast(all, linked).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                $"The restore of backup '{BackupName}' was cancelled.", BackupName);
        }
        await verifiersDone.ConfigureAwait(false);
        await fetchersDone.ConfigureAwait(false);
        return downloaded;
    }

    /// <summary>Records a block given up on and returns the zeros written in its place.</summary>
    private ReadOnlyMemory<byte> Salvage(Item item, DamageKind kind, string detail)
    {
        _damaged.Add(new DamagedBlock(item.Checksum, item.Offsets.OrderBy(o => o).ToArray(), BlockSize, kind, detail));
        return _zeros ??= new byte[BlockSize];
    }

    private byte[]? _zeros;

    private LonghornBackupException Missing(Item item, string key) =>
        new(ErrorIds.BlockMissing, ErrorKind.InvalidData,
            $"Block {item.Checksum} (offset {item.Offsets[0]}) of backup '{BackupName}' is missing from the store: {key}",
            key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the volume.");

    /// <summary>A device keeps old data where the backup has none: write zeros there, as a fresh file would read.</summary>
    private void ZeroUnlistedRanges(SafeFileHandle handle, HashSet<long> listed, WriteBehind behind, CancellationToken ct)
    {
        var zeros = new byte[BlockSize];
        for (long offset = 0; offset < Size; offset += BlockSize)
        {
            ct.ThrowIfCancellationRequested();
            if (!listed.Contains(offset)) WriteAt(handle, zeros.AsSpan(0, (int)Math.Min(BlockSize, Size - offset)), offset, behind);
        }
    }

    private void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset, WriteBehind behind)
    {
        try
        {
            RandomAccess.Write(handle, data, offset);
            behind.Wrote(offset, data.Length);
        }
        catch (IOException e)
        {
            throw new LonghornBackupException(ErrorIds.RestoreWriteFailed, ErrorKind.WriteError,
                $"Cannot write to '{OutputPath}' at offset {offset}: {e.Message}", OutputPath, inner: e);
        }
    }
}
