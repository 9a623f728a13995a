using System.Buffers;
using System.Threading.Channels;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Pipeline;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Restores one backup to a file or device (spec §6.1): sized by volume.cfg, every listed block fetched, decompressed
/// and verified, unlisted offsets left as zeros. A file is built under a temporary name and renamed into place
/// only when complete, so a failed restore never leaves a half-written image under the requested name.
/// </summary>
public sealed class RestoreEngine
{
    private readonly Backupstore _store;
    private readonly LockOptions? _locking;

    public RestoreEngine(Backupstore store, LockOptions? locking = null)
    {
        _store = store;
        _locking = locking;
    }

    public async Task<RestoreResult> RunAsync(RestoreRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        // Longhorn's type-1 lock on the source volume for the whole restore (spec §6.1 step 1): no deletion frees its blocks meanwhile.
        NameRules.ValidateVolumeNameForRead(request.VolumeName);
        NameRules.ValidateBackupName(request.BackupName);
        await using var volumeLock = await VolumeLock.AcquireAsync(_store.Store, request.VolumeName, LockType.BackupOrRestore,
            "restore", request.LockTimeout, _locking, ct).ConfigureAwait(false);

        var volume = await _store.GetVolumeAsync(request.VolumeName, ct).ConfigureAwait(false);
        var backup = await _store.GetBackupAsync(request.VolumeName, request.BackupName, ct).ConfigureAwait(false);
        if (backup.IsInProgress)
            throw new LonghornBackupException(ErrorIds.BackupInProgress, ErrorKind.InvalidOperation,
                $"The backup '{request.BackupName}' of volume '{request.VolumeName}' is still in progress (or its run was interrupted) and cannot be restored.",
                request.BackupName);
        if (volume.Size <= 0)
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The volume config of '{request.VolumeName}' has no size; the backup cannot be restored.", request.VolumeName);
        long blockSize = backup.BlockSize ?? throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
            $"The backup '{request.BackupName}' records a block size that cannot be read: '{backup.Parameters?[BackupParameters.BlockSize]}'.", request.BackupName);
        if (blockSize <= 0 || blockSize > BlockSizes.Large * 4L)
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The backup '{request.BackupName}' records an unsupported block size {blockSize}.", request.BackupName);

        string output = Path.GetFullPath(request.OutputPath);
        bool isDevice = IsDevice(output);
        if (Directory.Exists(output))
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.InvalidArgument,
                $"'{output}' is a folder; give the path of an image file or a block device.", output);
        if (File.Exists(output) && !request.Overwrite)
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.AlreadyExists,
                $"'{output}' already exists.", output, "Use -Force to overwrite it, or choose another path.");

        string writePath = isDevice ? output : Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.lhrestore-{Guid.NewGuid():N}.tmp");
        long size = volume.Size;
        try
        {
            var (blocks, downloaded) = await WriteImageAsync(request, volume, backup, (int)blockSize, writePath, isDevice, size, progress, ct).ConfigureAwait(false);
            if (!isDevice) File.Move(writePath, output, overwrite: true);
            progress?.Report(new OperationProgress($"Restoring {request.BackupName}", "Completed", size, size, 100, Completed: true));
            return new RestoreResult(output, size, blocks, downloaded);
        }
        catch
        {
            if (!isDevice) TryDelete(writePath);
            throw;
        }
    }

    private async Task<(int Blocks, long Downloaded)> WriteImageAsync(RestoreRequest request, VolumeConfig volume, BackupConfig backup,
        int blockSize, string path, bool isDevice, long size, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        // Each distinct block is fetched once and written at every offset that maps to it.
        var byChecksum = backup.Blocks.Where(b => b.Offset < size)
            .GroupBy(b => b.BlockChecksum, StringComparer.Ordinal)
            .Select(g => (Checksum: g.Key, Offsets: g.Select(b => b.Offset).ToArray()))
            .ToList();
        string method = backup.CompressionMethod.Length > 0 ? backup.CompressionMethod : volume.EffectiveCompressionMethod;
        var tracker = new ProgressTracker(progress, $"Restoring {request.BackupName}", (long)backup.Blocks.Count * blockSize);
        long downloaded = 0;

        SafeFileHandle handle;
        try
        {
            handle = isDevice
                ? File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)
                : File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.RestoreWriteFailed, ErrorKind.WriteError,
                $"Cannot open '{request.OutputPath}' for writing: {e.Message}", request.OutputPath, inner: e);
        }
        using (handle)
        {
            if (!isDevice) RandomAccess.SetLength(handle, size);   // sparse: unlisted offsets read as zeros
            else await ZeroUnlistedRangesAsync(handle, backup, blockSize, size, ct).ConfigureAwait(false);

            int workers = Math.Max(1, request.Concurrency ?? Math.Max(2, Environment.ProcessorCount));
            var channel = Channel.CreateBounded<(string Checksum, long[] Offsets)>(workers * 2);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var token = linked.Token;

            async Task ProduceAsync()
            {
                try
                {
                    foreach (var item in byChecksum) await channel.Writer.WriteAsync(item, token).ConfigureAwait(false);
                    channel.Writer.TryComplete();
                }
                catch (Exception e) { channel.Writer.TryComplete(e); throw; }
            }

            async Task WorkAsync()
            {
                // Per-worker buffers, reused for every block: no block-sized allocation per block.
                var stored = new ArrayBufferWriter<byte>(blockSize + blockSize / 64 + 1024);
                var data = new ArrayBufferWriter<byte>(blockSize);
                await foreach (var (checksum, offsets) in channel.Reader.ReadAllAsync(token).ConfigureAwait(false))
                {
                    string key = StorePaths.Block(request.VolumeName, checksum);
                    stored.ResetWrittenCount();
                    if (!await _store.Store.ReadToAsync(key, stored, token).ConfigureAwait(false))
                        throw new LonghornBackupException(ErrorIds.BlockMissing, ErrorKind.InvalidData,
                            $"Block {checksum} (offset {offsets[0]}) of backup '{request.BackupName}' is missing from the store: {key}",
                            key, "Run a full backup (New-LhBackup -BackupMode Full) of a snapshot holding this data to repair the volume.");
                    Interlocked.Add(ref downloaded, stored.WrittenCount);
                    BlockVerifier.DecompressAndVerify(method, checksum, key, stored.WrittenMemory, blockSize, data);
                    bool zero = !data.WrittenSpan.ContainsAnyExcept((byte)0);
                    foreach (long offset in offsets)
                    {
                        int length = (int)Math.Min(blockSize, size - offset);
                        // Zero blocks stay holes in a fresh sparse file; a device needs the zeros written.
                        if (!zero || isDevice)
                        {
                            try { RandomAccess.Write(handle, data.WrittenSpan[..length], offset); }
                            catch (IOException e)
                            {
                                throw new LonghornBackupException(ErrorIds.RestoreWriteFailed, ErrorKind.WriteError,
                                    $"Cannot write to '{request.OutputPath}' at offset {offset}: {e.Message}", request.OutputPath, inner: e);
                            }
                        }
                        tracker.Add(blockSize, "Restoring blocks");
                    }
                }
            }

            var tasks = new List<Task> { Task.Run(ProduceAsync, token) };
            for (int i = 0; i < workers; i++) tasks.Add(Task.Run(WorkAsync, token));
            try
            {
                await WorkerGroup.WhenAllFailFast(tasks, linked).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new LonghornBackupException(ErrorIds.OperationCancelled, ErrorKind.OperationStopped,
                    $"The restore of backup '{request.BackupName}' was cancelled.", request.BackupName);
            }
            if (!isDevice) RandomAccess.FlushToDisk(handle);
        }
        return (byChecksum.Count, downloaded);
    }

    /// <summary>A device keeps old data where the backup has none: write zeros there, as a fresh file would read.</summary>
    private static async Task ZeroUnlistedRangesAsync(SafeFileHandle handle, BackupConfig backup, int blockSize, long size, CancellationToken ct)
    {
        var listed = new HashSet<long>(backup.Blocks.Select(b => b.Offset));
        var zeros = new byte[blockSize];
        for (long offset = 0; offset < size; offset += blockSize)
        {
            ct.ThrowIfCancellationRequested();
            if (listed.Contains(offset)) continue;
            await RandomAccess.WriteAsync(handle, zeros.AsMemory(0, (int)Math.Min(blockSize, size - offset)), offset, ct).ConfigureAwait(false);
        }
    }

    private static bool IsDevice(string path)
    {
        if (OperatingSystem.IsWindows()) return path.StartsWith(@"\\.\", StringComparison.Ordinal);
        if (!path.StartsWith("/dev/", StringComparison.Ordinal) || !File.Exists(path)) return false;
        return true;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
