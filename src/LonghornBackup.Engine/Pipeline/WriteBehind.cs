using Microsoft.Win32.SafeHandles;

namespace LonghornBackup.Engine.Pipeline;

/// <summary>
/// Write-behind for one output file (a restore's image or device): each range written starts its write-back at once,
/// and a range a few blocks older is waited for and dropped from the page cache, so the cache holds a bounded window
/// of the output instead of all of it (see <see cref="PageCache"/>). One writer thread only.
/// </summary>
internal sealed class WriteBehind
{
    /// <summary>Ranges still in the cache; 16 of 2 MiB keep the disk busy while the oldest is waited for.</summary>
    private const int Window = 16;

    private readonly SafeFileHandle _handle;
    private readonly Queue<(long Offset, long Length)> _pending = new();

    public WriteBehind(SafeFileHandle handle) => _handle = handle;

    public void Wrote(long offset, long length)
    {
        PageCache.StartWriteBack(_handle, offset, length);
        _pending.Enqueue((offset, length));
        if (_pending.Count > Window)
        {
            var (o, l) = _pending.Dequeue();
            PageCache.WriteBackAndDrop(_handle, o, l);
        }
    }

    /// <summary>Writes back and drops what is left (the caller still flushes the file for durability).</summary>
    public void Drain()
    {
        while (_pending.Count > 0)
        {
            var (o, l) = _pending.Dequeue();
            PageCache.WriteBackAndDrop(_handle, o, l);
        }
    }
}
