namespace LonghornBackup.Engine.Export;

/// <summary>
/// Verified blocks by checksum, least recently used first out, holding at most <see cref="Capacity"/> blocks that no
/// read is using. A block a read holds (<see cref="CachedBlock"/>) is never evicted or reused under it; its buffer
/// returns to the free list when it is released after eviction. Buffers are reused, so memory stays flat however
/// much is read.
/// </summary>
internal sealed class BlockCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();   // first = most recently used
    private readonly Stack<byte[]> _free = new();

    public BlockCache(int blockSize, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        BlockSize = blockSize;
        Capacity = capacity;
    }

    public int BlockSize { get; }
    public int Capacity { get; }

    /// <summary>Blocks in the cache now, held or not (for tests and statistics).</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Buffers allocated in all: at most the capacity plus the blocks reads held at once.</summary>
    public int BuffersAllocated { get; private set; }

    public bool Contains(string checksum) { lock (_gate) return _entries.ContainsKey(checksum); }

    /// <summary>The cached block, held for the caller until disposed; null when it is not cached.</summary>
    public CachedBlock? TryAcquire(string checksum)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(checksum, out var entry)) return null;
            entry.Refs++;
            _recency.Remove(entry.Node);
            _recency.AddFirst(entry.Node);
            return new CachedBlock(this, entry);
        }
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
            var entry = new Entry(checksum, buffer);
            entry.Node = _recency.AddFirst(entry);
            _entries.Add(checksum, entry);
            EvictOverCapacity();
        }
    }

    private byte[] Allocate()
    {
        BuffersAllocated++;
        return new byte[BlockSize];
    }

    private void EvictOverCapacity()
    {
        var node = _recency.Last;
        int unheld = 0;
        foreach (var e in _entries.Values) if (e.Refs == 0) unheld++;
        while (unheld > Capacity && node is not null)
        {
            var previous = node.Previous;
            var entry = node.Value;
            if (entry.Refs == 0)
            {
                _recency.Remove(node);
                _entries.Remove(entry.Checksum);
                entry.Evicted = true;
                _free.Push(entry.Data);
                unheld--;
            }
            node = previous;
        }
        // Buffers beyond what the cache can use again are left to the collector.
        while (_free.Count > 2) _free.Pop();
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Refs == 0 && !entry.Evicted) EvictOverCapacity();
        }
    }

    internal sealed class Entry
    {
        public Entry(string checksum, byte[] data) { Checksum = checksum; Data = data; }
        public string Checksum { get; }
        public byte[] Data { get; }
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

        public byte[] Data => _entry.Data;

        public void Dispose() => Interlocked.Exchange(ref _cache, null)?.Release(_entry);
    }
}
