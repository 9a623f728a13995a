using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// The in-flight records of one backup run (<see cref="InFlightRecord"/>): no block is sent before a record naming it
/// is in the store, so whatever a kill, a reset connection or a power loss leaves torn is known to the next run. Blocks
/// are announced as soon as the hashing stage decides to upload them and written in batches ahead of the uploaders,
/// so records cost a small request per batch, not one per block, and uploaders rarely wait for one. Records are never
/// rewritten (a rewrite cut short on a store without atomic writes would lose the list): each is a new object.
/// </summary>
internal sealed class InFlightJournal
{
    /// <summary>Announced blocks that make a record worth writing before an uploader asks.</summary>
    private const int BatchSize = 64;

    private readonly IObjectStore _store;
    private readonly string _volumeName;
    private readonly string _backupName;
    private readonly Task<string> _ownerLock;
    private readonly int _blockSize;
    private readonly string _compression;
    private readonly object _gate = new();
    private readonly HashSet<string> _covered = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly List<string> _keys = new();
    private readonly SemaphoreSlim _wake = new(0);
    private TaskCompletionSource<bool> _nextRecord = NewSignal();
    private Task? _writer;
    private Exception? _failure;
    private bool _stopping;
    private int _sequence;

    /// <param name="ownerLock">The name of this run's lock, once its file is in the store: a reader tells a live owner from
    /// a dead one by it.</param>
    public InFlightJournal(IObjectStore store, string volumeName, string backupName, Task<string> ownerLock, int blockSize, string compression)
    {
        _store = store;
        _volumeName = volumeName;
        _backupName = backupName;
        _ownerLock = ownerLock;
        _blockSize = blockSize;
        _compression = compression;
    }

    public string VolumeName => _volumeName;

    /// <summary>Keys of the records written so far.</summary>
    public IReadOnlyList<string> RecordKeys
    {
        get { lock (_gate) return _keys.ToList(); }
    }

    /// <summary>Starts the writer; records are written until <paramref name="ct"/> ends or <see cref="CompleteAsync"/>.</summary>
    public void Start(CancellationToken ct) => _writer = Task.Run(() => WriteRecordsAsync(ct), CancellationToken.None);

    /// <summary>A block this run will upload: it goes into the next record.</summary>
    public void Announce(string checksum)
    {
        bool wake;
        lock (_gate)
        {
            if (_covered.Contains(checksum) || !_pending.Add(checksum)) return;
            wake = _pending.Count == BatchSize;
        }
        if (wake) _wake.Release();
    }

    /// <summary>Returns once a record naming <paramref name="checksum"/> is in the store.</summary>
    public async Task CoverAsync(string checksum, CancellationToken ct)
    {
        while (true)
        {
            Task<bool> next;
            lock (_gate)
            {
                if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();   // no block goes out unrecorded
                if (_covered.Contains(checksum)) return;
                _pending.Add(checksum);
                next = _nextRecord.Task;
            }
            _wake.Release();
            await next.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the writer once the uploads are over. Its failure, if any, has already failed the upload that waited for
    /// it; a record that was never needed does not matter.
    /// </summary>
    public async Task CompleteAsync()
    {
        lock (_gate) _stopping = true;   // the writer leaves at its next wake
        _wake.Release();
        if (_writer is not null)
        {
            try { await _writer.ConfigureAwait(false); }
            catch (Exception) { }
        }
    }

    /// <summary>Deletes this run's records: its backup is committed, every block it sent is named by a completed cfg.</summary>
    public async Task DeleteRecordsAsync(CancellationToken ct)
    {
        foreach (var key in RecordKeys)
            await _store.DeleteAsync(key, ct).ConfigureAwait(false);
    }

    private async Task WriteRecordsAsync(CancellationToken ct)
    {
        TaskCompletionSource<bool>? signal = null;   // the waiters of the record being written
        try
        {
            string owner = await _ownerLock.ConfigureAwait(false);
            while (true)
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                List<string> batch;
                int sequence;
                lock (_gate)
                {
                    if (_stopping) return;
                    if (_pending.Count == 0) continue;
                    batch = _pending.ToList();
                    _pending.Clear();
                    sequence = ++_sequence;
                    signal = _nextRecord;
                    _nextRecord = NewSignal();
                }
                string key = StorePaths.InFlightRecord(_volumeName, _backupName, sequence);
                lock (_gate) _keys.Add(key);
                await _store.WriteAsync(key, new InFlightRecord(_backupName, owner, _blockSize, _compression, batch).ToJson(), ct).ConfigureAwait(false);
                lock (_gate) _covered.UnionWith(batch);
                signal.TrySetResult(true);
            }
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                _failure = e;
                // Every waiter fails with it: those of the record that was being written and those of the next one.
                signal?.TrySetException(e);
                _nextRecord.TrySetException(e);
            }
            throw;
        }
    }

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
