namespace LonghornBackup.Engine.Export;

/// <summary>
/// Verified blocks by checksum, least recently used first out, holding at most <see cref="Capacity"/> blocks (more
/// only while reads hold them). A block a read holds (<see cref="CachedBlock"/>) is never evicted or reused under it; its buffer
/// returns to the free list when it is released after eviction. Buffers are reused, so memory stays flat however
/// much is read. A read waiting for a block being fetched holds a reservation (<see cref="Reserve"/>): the block
/// enters the cache already held for it, so no other block can evict it before that read takes it.
/// </summary>
internal sealed class BlockCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();   // first = most recently used
    private readonly Stack<byte[]> _free = new();
    private readonly Dictionary<string, List<Reservation>> _reserved = new(StringComparer.Ordinal);   // reads waiting for a block not cached yet
    private int _held;   // entries some read holds
    private TaskCompletionSource<bool> _room = NewRoom();   // completed when a block is no longer held or awaited
    private readonly int _spares;   // free buffers kept: every buffer the cache's users may have at once

    /// <param name="buffers">
    /// The most buffers in use at once, cached or rented (at least <paramref name="capacity"/>): every one given back is
    /// kept for reuse up to this, so none is dropped and allocated again. Dropped 2 MiB buffers would pile up on the
    /// large-object heap until a full collection (a 4 GiB export with 16 fetchers and a 7-block cache peaked at
    /// 160 MB that way).
    /// </param>
    public BlockCache(int blockSize, int capacity, int buffers = 0)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        BlockSize = blockSize;
        Capacity = capacity;
        _spares = Math.Max(capacity, buffers);
    }

    public int BlockSize { get; }
    public int Capacity { get; }

    /// <summary>
    /// Room beyond a block in each buffer, so a stored block fits whole: blocks are read straight into cache buffers,
    /// and an lz4 frame of incompressible data (its block stored as it is) is then cached where it lies, behind the
    /// frame's header, without a copy. Frames of small lz4 blocks have a 4-byte header per block: 4 KiB covers them.
    /// </summary>
    public const int FrameRoom = 4096;

    /// <summary>Length of every buffer <see cref="Rent"/> gives: a block and <see cref="FrameRoom"/>.</summary>
    public int BufferSize => BlockSize + FrameRoom;

    /// <summary>Blocks in the cache now, held or not (for tests and statistics).</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Buffers allocated in all: about the capacity, plus blocks reads held beyond it at once.</summary>
    public int BuffersAllocated { get; private set; }

    public bool Contains(string checksum) { lock (_gate) return _entries.ContainsKey(checksum); }

    /// <summary>The cached block, held for the caller until disposed; null when it is not cached.</summary>
    public CachedBlock? TryAcquire(string checksum)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(checksum, out var entry)) return null;
            if (entry.Refs++ == 0) _held++;
            _recency.Remove(entry.Node);
            _recency.AddFirst(entry.Node);
            return new CachedBlock(this, entry);
        }
    }

    /// <summary>
    /// The cached block, held for the caller; or, when it is not cached, null and a reservation: the block will enter
    /// the cache already held for the caller, who takes it with <see cref="TakeReserved"/> once it is loaded, or gives
    /// the reservation back with <see cref="CancelReservation"/> when the load fails.
    /// </summary>
    public CachedBlock? Reserve(string checksum, out Reservation? reservation)
    {
        lock (_gate)
        {
            reservation = null;
            if (TryAcquire(checksum) is { } hit) return hit;
            if (!_reserved.TryGetValue(checksum, out var waiting)) _reserved[checksum] = waiting = new List<Reservation>();
            reservation = new Reservation();
            waiting.Add(reservation);
            return null;
        }
    }

    /// <summary>The reserved block, now cached and held for the caller; null when it has not arrived (its load failed).</summary>
    public CachedBlock? TakeReserved(Reservation reservation)
    {
        lock (_gate)
        {
            if (reservation.Entry is not { } entry) return null;
            reservation.Entry = null;
            _recency.Remove(entry.Node);
            _recency.AddFirst(entry.Node);
            return new CachedBlock(this, entry);
        }
    }

    /// <summary>Gives back a reservation that will not be taken; a block that arrived for it meanwhile is released.</summary>
    public void CancelReservation(Reservation reservation)
    {
        if (reservation.Entry is not null)
        {
            if (TakeReserved(reservation) is { } arrived) arrived.Dispose();
            return;
        }
        lock (_gate)
        {
            foreach (var (checksum, waiting) in _reserved)
            {
                if (!waiting.Remove(reservation)) continue;
                if (waiting.Count == 0)
                {
                    _reserved.Remove(checksum);
                    SignalRoom();
                }
                return;
            }
        }
        if (TakeReserved(reservation) is { } late) late.Dispose();   // arrived between the two checks
    }

    /// <summary>
    /// Holds the cached blocks of one read and reserves the others, all or nothing, so that the blocks reads hold or
    /// wait for stay within <paramref name="limit"/> (a read alone may exceed it: it must go on). When they would not,
    /// nothing is held and <paramref name="room"/> completes once a block is released. Taking all of a read's blocks at
    /// once (never some, then waiting for others) is what keeps two reads from waiting on each other forever.
    /// </summary>
    public bool TryClaimAll(IReadOnlyList<string> checksums, int limit, CachedBlock?[] held, Reservation?[] reserved, out Task room)
    {
        lock (_gate)
        {
            room = _room.Task;
            int inUse = _held + _reserved.Count, extra = 0;
            for (int i = 0; i < checksums.Count; i++)
            {
                string c = checksums[i];
                bool repeated = false;
                for (int j = 0; j < i && !repeated; j++) repeated = checksums[j] == c;   // a read spans a few blocks: no set needed
                if (!repeated && !(_entries.TryGetValue(c, out var e) && e.Refs > 0) && !_reserved.ContainsKey(c)) extra++;
            }
            if (inUse > 0 && inUse + extra > limit) return false;
            for (int i = 0; i < checksums.Count; i++) held[i] = Reserve(checksums[i], out reserved[i]);
            return true;
        }
    }

    /// <summary>Blocks reads hold now, and blocks they wait for (for tests and the benchmark).</summary>
    public int InUse { get { lock (_gate) return _held + _reserved.Count; } }

    private static TaskCompletionSource<bool> NewRoom() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalRoom()
    {
        var room = _room;
        _room = NewRoom();
        room.TrySetResult(true);
    }

    /// <summary>Reads waiting for a block that is not cached yet (for tests).</summary>
    public int ReservationsFor(string checksum) { lock (_gate) return _reserved.TryGetValue(checksum, out var w) ? w.Count : 0; }

    /// <summary>A new entry, held for every read that reserved it.</summary>
    private Entry NewEntry(string checksum, byte[] buffer, int start)
    {
        var entry = new Entry(checksum, buffer, start);
        if (_reserved.TryGetValue(checksum, out var waiting))
        {
            foreach (var r in waiting) r.Entry = entry;
            entry.Refs = waiting.Count;
            _held++;
            _reserved.Remove(checksum);
        }
        entry.Node = _recency.AddFirst(entry);
        _entries.Add(checksum, entry);
        return entry;
    }

    /// <summary>A read's claim on a block being loaded (see <see cref="Reserve"/>).</summary>
    public sealed class Reservation
    {
        internal Entry? Entry;
    }

    /// <summary>Copies a verified block into the cache (replacing nothing if it is already there) and evicts what is over capacity.</summary>
    public void Add(string checksum, ReadOnlySpan<byte> data)
    {
        if (data.Length != BlockSize) throw new ArgumentException("A cached block is one whole block.", nameof(data));
        byte[] buffer;
        lock (_gate)
        {
            if (_entries.ContainsKey(checksum)) return;
            buffer = _free.Count > 0 ? _free.Pop() : Allocate();
        }
        data.CopyTo(buffer);
        lock (_gate)
        {
            if (_entries.ContainsKey(checksum)) { _free.Push(buffer); return; }
            NewEntry(checksum, buffer, 0);
            EvictOverCapacity();
        }
    }

    /// <summary>A block buffer to fill before <see cref="AddOwned"/> (or give back with <see cref="Return"/>).</summary>
    public byte[] Rent()
    {
        lock (_gate) return _free.Count > 0 ? _free.Pop() : Allocate();
    }

    public void Return(byte[] buffer)
    {
        lock (_gate) if (_free.Count < _spares) _free.Push(buffer);
    }

    /// <summary>Caches a rented buffer holding a verified block at <paramref name="start"/>, without copying it.</summary>
    public void AddOwned(string checksum, byte[] buffer, int start)
    {
        if (buffer.Length != BufferSize || start < 0 || start > FrameRoom) throw new ArgumentException("A cached block is one whole block of a rented buffer.", nameof(buffer));
        lock (_gate)
        {
            if (_entries.ContainsKey(checksum)) { _free.Push(buffer); return; }
            NewEntry(checksum, buffer, start);
            EvictOverCapacity();
        }
    }

    private byte[] Allocate()
    {
        BuffersAllocated++;
        return new byte[BufferSize];
    }

    /// <summary>
    /// Evicts the least recently used blocks no read holds until at most <see cref="Capacity"/> blocks are cached
    /// (held ones count too: blocks held beyond it are a passing overflow). Their buffers are kept for the next
    /// blocks, so the cache neither grows nor churns the heap.
    /// </summary>
    private void EvictOverCapacity()
    {
        var node = _recency.Last;
        while (_entries.Count > Capacity && node is not null)
        {
            var previous = node.Previous;
            var entry = node.Value;
            if (entry.Refs == 0)
            {
                _recency.Remove(node);
                _entries.Remove(entry.Checksum);
                entry.Evicted = true;
                // Kept for the next blocks: the cache stays full once filled, so what is free is what fetches hold.
                if (_free.Count < _spares) _free.Push(entry.Data);
            }
            node = previous;
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Refs > 0) return;
            _held--;
            SignalRoom();
            if (!entry.Evicted) EvictOverCapacity();
        }
    }

    internal sealed class Entry
    {
        public Entry(string checksum, byte[] data, int start) { Checksum = checksum; Data = data; Start = start; }
        public string Checksum { get; }
        public byte[] Data { get; }
        public int Start { get; }   // where the block lies in Data
        public int Refs;
        public bool Evicted;
        public LinkedListNode<Entry> Node = null!;
    }

    /// <summary>A block held by a read; its bytes stay valid until disposed.</summary>
    public sealed class CachedBlock : IDisposable
    {
        private BlockCache? _cache;
        private readonly Entry _entry;

        internal CachedBlock(BlockCache cache, Entry entry) { _cache = cache; _entry = entry; }

        /// <summary>The block's bytes: a slice of its buffer.</summary>
        public ArraySegment<byte> Block => new(_entry.Data, _entry.Start, _entry.Data.Length - FrameRoom);

        public void Dispose() => Interlocked.Exchange(ref _cache, null)?.Release(_entry);
    }
}
