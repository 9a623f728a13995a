using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Progress;

namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// Writes what a block source reads (a replica snapshot's merged view) as a sparse raw image: only its data ranges are
/// read, and chunks that read as zeros are left as holes. The image is built under a temporary name beside the
/// destination and renamed into place only when complete (and, for a replica chain, only when no layer changed while it
/// was read).
/// </summary>
public static class SnapshotExporter
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Returns the bytes of data written (holes and zero chunks not counted).</summary>
    public static async Task<long> ExportAsync(IBlockSource source, string destination, bool overwrite,
        IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        string output = Path.GetFullPath(destination);
        if (Directory.Exists(output))
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.InvalidArgument,
                $"'{output}' is a folder; give the path of the image file to write.", output);
        if (File.Exists(output) && !overwrite)
            throw new LonghornBackupException(ErrorIds.RestoreTargetExists, ErrorKind.AlreadyExists,
                $"'{output}' already exists.", output, "Use -Force to overwrite it, or choose another path.");
        string temp = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.lhexport-{Guid.NewGuid():N}.tmp");
        var ranges = source.GetDataRanges();
        var tracker = new ProgressTracker(progress, $"Exporting {source.Description}", RangeSet.TotalLength(ranges));
        long written = 0;
        try
        {
            await Task.Run(() =>
            {
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                file.SetLength(source.Size);
                var buffer = new byte[ChunkSize];
                foreach (var range in ranges)
                {
                    for (long pos = range.Start; pos < range.End; pos += ChunkSize)
                    {
                        ct.ThrowIfCancellationRequested();
                        var chunk = buffer.AsSpan(0, (int)Math.Min(ChunkSize, range.End - pos));
                        source.ReadAt(pos, chunk);
                        if (chunk.ContainsAnyExcept((byte)0))
                        {
                            file.Position = pos;
                            file.Write(chunk);
                            written += chunk.Length;
                        }
                        tracker.Add(chunk.Length, "Copying data");
                    }
                }
                file.Flush(flushToDisk: true);
            }, ct).ConfigureAwait(false);
            (source as ISnapshotDiffSource)?.EnsureUnchanged();   // a torn view of a live replica never lands
            File.Move(temp, output, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            if (e is IOException or UnauthorizedAccessException)
                throw new LonghornBackupException(ErrorIds.RestoreWriteFailed, ErrorKind.WriteError,
                    $"Cannot write '{output}': {e.Message}", output, inner: e);
            throw;
        }
        tracker.Complete("Completed");
        return written;
    }
}
