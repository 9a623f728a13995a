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
/// Writes a backup's blocks into an open image: CPU workers fetch, decode and verify blocks in parallel into pooled
/// buffers, and one writer puts each verified block at its offsets. One writer, because the kernel serialises writes
/// to one file anyway (several writers only spin on its lock), and the workers keep hashing meanwhile. Memory is
/// fixed by the worker count and the block size, never by the volume size.
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
    public required int Workers { get; init; }
    /// <summary>Completes when writing may start; until then workers only fill the buffer pool. Its failure fails the pipeline.</summary>
    public Task WriteGate { get; init; } = Task.CompletedTask;

    /// <summary>Reads of a block, in all, before its damage is taken as the store's rather than the transfer's.</summary>
    private const int ReadAttempts = 3;

    /// <summary>A stored block with every offset it is written at.</summary>
    public readonly record struct Item(string Checksum, long[] Offsets);

    /// <summary>One block in flight: the bytes read from the store, and room to decode them when they are compressed.</summary>
    private sealed class BlockBuffers(int blockSize)
    {
        public ArrayBufferWriter<byte> Stored { get; } = new(blockSize + blockSize / 64 + 1024);
        public ArrayBufferWriter<byte> Decoded { get; } = new();   // grows on first use: incompressible lz4 never needs it
    }

    private readonly record struct VerifiedBlock(BlockBuffers Buffers, ReadOnlyMemory<byte> Data, long[] Offsets);

    /// <summary>Restores every item into <paramref name="handle"/>; returns the stored bytes read.</summary>
    public async Task<long> RunAsync(SafeFileHandle handle, IReadOnlyList<Item> items, HashSet<long> listedOffsets,
        ProgressTracker tracker, CancellationToken ct)
    {
        int workers = Math.Max(1, Workers);
        // Each worker takes a run of items whose checksums it verifies together (multi-buffer SHA-512, see
        // Checksum.BatchSize); a batch per worker, one being written and one waiting for the writer, so neither stage
        // starves, and memory stays within that many blocks read plus as many decoded.
        int batch = Checksum.BatchSize(BlockSize, workers);
        int slots = workers * batch + 2;
        using var pool = new BoundedPool<BlockBuffers>(slots, () => new BlockBuffers(BlockSize));
        var verified = Channel.CreateBounded<VerifiedBlock>(new BoundedChannelOptions(slots) { SingleReader = true });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = linked.Token;
        long downloaded = 0;
        int next = 0;

        async Task FetchAndVerifyAsync()
        {
            var rented = new BlockBuffers[batch];
            var keys = new string[batch];
            var data = new ReadOnlyMemory<byte>[batch];
            var actual = new string[batch];
            var damaged = new bool[batch];
            while (true)
            {
                int first = Interlocked.Add(ref next, batch) - batch;
                if (first >= items.Count) return;
                int count = Math.Min(batch, items.Count - first);
                int held = 0, sent = 0;
                try
                {
                    for (int j = 0; j < count; j++)
                    {
                        var (checksum, offsets) = items[first + j];
                        rented[j] = await pool.RentAsync(token).ConfigureAwait(false);
                        held++;   // from here the finally gives it back if anything below fails
                        string key = keys[j] = StorePaths.Block(VolumeName, checksum);
                        await ReadAsync(items[first + j], key, rented[j].Stored).ConfigureAwait(false);
                        try
                        {
                            data[j] = BlockVerifier.Decode(Method, checksum, key, rented[j].Stored.WrittenMemory, BlockSize, rented[j].Decoded);
                            damaged[j] = false;
                        }
                        catch (LonghornBackupException)
                        {
                            data[j] = default;
                            damaged[j] = true;
                        }
                    }
                    Checksum.OfEach(data.AsSpan(0, count), actual);
                    for (int j = 0; j < count; j++)
                        if (damaged[j] || actual[j] != items[first + j].Checksum)
                            data[j] = await ReadVerifiedAgainAsync(items[first + j], keys[j], rented[j]).ConfigureAwait(false);
                    for (; sent < count; sent++)
                        await verified.Writer.WriteAsync(new VerifiedBlock(rented[sent], data[sent], items[first + sent].Offsets), token).ConfigureAwait(false);
                }
                finally
                {
                    // Buffers not handed to the writer go back (a failure mid-batch must not starve the pool).
                    for (int j = sent; j < held; j++) pool.Return(rented[j]);
                }
            }
        }

        async Task ReadAsync(Item item, string key, ArrayBufferWriter<byte> stored)
        {
            if (!await Store.ReadToAsync(key, stored, token).ConfigureAwait(false))
                throw new LonghornBackupException(ErrorIds.BlockMissing, ErrorKind.InvalidData,
                    $"Block {item.Checksum} (offset {item.Offsets[0]}) of backup '{BackupName}' is missing from the store: {key}",
                    key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the volume.");
            Interlocked.Add(ref downloaded, stored.WrittenCount);
        }

        // A block that does not decode to its checksum may have been damaged on the way (bodies are not checked in
        // transit, see IBufferedObjectReader): it is read again, and only a block damaged every time fails the restore.
        async Task<ReadOnlyMemory<byte>> ReadVerifiedAgainAsync(Item item, string key, BlockBuffers buffers)
        {
            for (int attempt = 2; ; attempt++)
            {
                await ReadAsync(item, key, buffers.Stored).ConfigureAwait(false);
                try
                {
                    return BlockVerifier.DecodeAndVerify(Method, item.Checksum, key, buffers.Stored.WrittenMemory, BlockSize, buffers.Decoded);
                }
                catch (LonghornBackupException) when (attempt < ReadAttempts)
                {
                }
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
            if (IsDevice) ZeroUnlistedRanges(handle, listedOffsets, token);
            await foreach (var block in verified.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                try
                {
                    // Zero blocks stay holes in a fresh sparse file; a device needs the zeros written.
                    bool write = IsDevice || block.Data.Span.ContainsAnyExcept((byte)0);
                    foreach (long offset in block.Offsets)
                    {
                        if (write) WriteAt(handle, block.Data.Span[..(int)Math.Min(BlockSize, Size - offset)], offset);
                        tracker.Add(BlockSize, "Restoring blocks");
                    }
                }
                finally
                {
                    pool.Return(block.Buffers);
                }
            }
        }

        var fetchers = Enumerable.Range(0, workers).Select(_ => Task.Run(FetchAndVerifyAsync, token)).ToArray();
        // The writer's queue closes when every worker is done (or one failed).
        var fetchersDone = Task.WhenAll(fetchers).ContinueWith(t => verified.Writer.TryComplete(t.Exception?.InnerException),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var all = new List<Task>(fetchers) { Task.Run(WriteAsync, token) };
        try
        {
            await WorkerGroup.WhenAllFailFast(all, linked).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                $"The restore of backup '{BackupName}' was cancelled.", BackupName);
        }
        await fetchersDone.ConfigureAwait(false);
        return downloaded;
    }

    /// <summary>A device keeps old data where the backup has none: write zeros there, as a fresh file would read.</summary>
    private void ZeroUnlistedRanges(SafeFileHandle handle, HashSet<long> listed, CancellationToken ct)
    {
        var zeros = new byte[BlockSize];
        for (long offset = 0; offset < Size; offset += BlockSize)
        {
            ct.ThrowIfCancellationRequested();
            if (!listed.Contains(offset)) WriteAt(handle, zeros.AsSpan(0, (int)Math.Min(BlockSize, Size - offset)), offset);
        }
    }

    private void WriteAt(SafeFileHandle handle, ReadOnlySpan<byte> data, long offset)
    {
        try { RandomAccess.Write(handle, data, offset); }
        catch (IOException e)
        {
            throw new LonghornBackupException(ErrorIds.RestoreWriteFailed, ErrorKind.WriteError,
                $"Cannot write to '{OutputPath}' at offset {offset}: {e.Message}", OutputPath, inner: e);
        }
    }
}
