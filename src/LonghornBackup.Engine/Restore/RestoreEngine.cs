using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Progress;
using LonghornBackup.Engine.Store;
using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Restore;

/// <summary>
/// Restores one backup to a file or device (docs/backupstore-format.md §6.1): sized by volume.cfg, every listed block fetched, decompressed
/// and verified, unlisted offsets left as zeros. A file is built under a temporary name and renamed into place
/// only when complete and the volume's lock is held, so a failed restore (or one that meets a deletion's lock) never
/// leaves a half-written image under the requested name.
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
        NameRules.ValidateVolumeNameForRead(request.VolumeName);
        NameRules.ValidateBackupName(request.BackupName);
        RestoreDestinationGuard.EnsureOutsideStore(_store, request.OutputPath);

        // Longhorn's type-1 lock on the source volume for the whole restore (docs/backupstore-format.md §6.1 step 1): no deletion frees its
        // blocks meanwhile. Taking it costs the protocol's 2 s check wait. Reads need no lock and every block is verified
        // against its checksum, so the restore does its work meanwhile, into the temporary file, and declares success
        // (renames the file into place) only once it holds the lock. A lock conflict stops the work at once.
        using var workCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var lockTask = VolumeLock.AcquireAsync(_store.Store, request.VolumeName, LockType.BackupOrRestore,
            "restore", request.LockTimeout, _locking, ct);
        var stopWorkOnConflict = lockTask.ContinueWith(t => { if (!t.IsCompletedSuccessfully) workCancel.Cancel(); },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            return await RestoreAsync(request, lockTask, progress, workCancel.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!lockTask.IsCompletedSuccessfully && !ct.IsCancellationRequested)
        {
            // The lock's outcome decides what to report: its conflict stopped the work, and a running deletion explains
            // a missing block or config better than they do. Without a conflict, the work's own error stands.
            await lockTask.ConfigureAwait(false);
            throw;
        }
        catch (Exception e) when (Cancellation.IsCancellation(e, ct))
        {
            // A file is built under a temporary name, deleted on the way out: the destination is as it was. A device is
            // written in place once the lock is held, so from then on it holds part of the backup.
            string output = Path.GetFullPath(request.OutputPath);
            throw Cancellation.Stopped($"The restore of backup '{request.BackupName}' was cancelled.", request.BackupName,
                new CancelledWork(CancelledOperation.Restore, request.VolumeName)
                {
                    Destination = output,
                    DestinationUnchanged = !IsDevice(output) || !lockTask.IsCompletedSuccessfully,
                }, e);
        }
        finally
        {
            await stopWorkOnConflict.ConfigureAwait(false);   // the lock task is done: taken, failed, or cancelled with ct
            if (lockTask.IsCompletedSuccessfully) await lockTask.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The restore itself; it awaits <paramref name="lockTask"/> before it declares success.</summary>
    private async Task<RestoreResult> RestoreAsync(RestoreRequest request, Task<VolumeLock> lockTask,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var source = await RestoreSource.LoadAsync(_store, request.VolumeName, request.BackupName, request.IncludeBlocksBeyondVolumeSize,
            "Nothing was restored.", "-IncludeBlocksBeyondVolumeSize", ct).ConfigureAwait(false);
        var (backup, blockSize, size, beyond) = (source.Backup, source.BlockSize, source.Size, source.Beyond);

        string output = Path.GetFullPath(request.OutputPath);
        bool isDevice = IsDevice(output);
        if (Directory.Exists(output))
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.InvalidArgument,
                $"'{output}' is a folder; give the path of an image file or a block device.", output);
        if (File.Exists(output) && !request.Overwrite)
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.AlreadyExists,
                $"'{output}' already exists.", output, "Use -Force to overwrite it, or choose another path.");

        string writePath = isDevice ? output : Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.lhrestore-{Guid.NewGuid():N}.tmp");
        try
        {
            // A device is written in place: nothing touches it before the lock is held, as before.
            var (blocks, downloaded, damaged) = await WriteImageAsync(request, source.Method, backup, blockSize, writePath, isDevice, size,
                isDevice ? lockTask : Task.CompletedTask, progress, ct).ConfigureAwait(false);
            await lockTask.ConfigureAwait(false);
            if (!isDevice)
            {
                File.Move(writePath, output, overwrite: true);
                FileSync.SyncDirectory(Path.GetDirectoryName(output)!);   // the image's name survives a power loss too
            }
            long data = (long)backup.Blocks.Count * blockSize;   // what the progress counted: the data, not the holes
            progress?.Report(new OperationProgress($"Restoring {request.BackupName}", "Completed", data, data, 100, Completed: true));
            return new RestoreResult(output, size, blocks, downloaded, beyond) { DamagedBlocks = damaged };
        }
        catch
        {
            if (!isDevice) TryDelete(writePath);
            throw;
        }
    }

    private async Task<(int Blocks, long Downloaded, IReadOnlyList<DamagedBlock> Damaged)> WriteImageAsync(RestoreRequest request, string method, BackupConfig backup,
        int blockSize, string path, bool isDevice, long size, Task writeGate, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        // Each distinct block is fetched once and written at every offset that maps to it.
        var byChecksum = backup.Blocks
            .GroupBy(b => b.BlockChecksum, StringComparer.Ordinal)
            .Select(g => new BlockRestorePipeline.Item(g.Key, g.Select(b => b.Offset).ToArray()))
            .ToList();
        var pipeline = new BlockRestorePipeline
        {
            Store = _store.Store,
            VolumeName = request.VolumeName,
            BackupName = request.BackupName,
            Method = method,
            BlockSize = blockSize,
            Size = size,
            OutputPath = request.OutputPath,
            IsDevice = isDevice,
            Workers = request.Concurrency ?? Math.Max(2, Environment.ProcessorCount),
            WriteGate = writeGate,
            SkipDamaged = request.SkipCorruptBlocks,
        };
        var tracker = new ProgressTracker(progress, $"Restoring {request.BackupName}", (long)backup.Blocks.Count * blockSize);

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
        long downloaded;
        using (handle)
        {
            if (!isDevice) RandomAccess.SetLength(handle, size);   // sparse: unlisted offsets read as zeros
            var listed = isDevice ? new HashSet<long>(backup.Blocks.Select(b => b.Offset)) : new HashSet<long>();
            downloaded = await pipeline.RunAsync(handle, byChecksum, listed, tracker, ct).ConfigureAwait(false);
            if (!isDevice) RandomAccess.FlushToDisk(handle);
        }
        return (byChecksum.Count, downloaded, pipeline.Damaged);
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
