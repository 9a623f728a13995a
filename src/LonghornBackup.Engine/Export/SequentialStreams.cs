namespace LonghornBackup.Engine.Export;

/// <summary>
/// Tells which reads continue a sequential stream, and how far each stream has been fetched ahead. Clients read
/// several regions at once (nbdcopy's threads each copy their own 128 MiB segment; qemu-img and the kernel keep
/// reads in flight), so up to <see cref="MaxStreams"/> streams are followed, the least recently used one replaced.
/// </summary>
internal sealed class SequentialStreams
{
    public const int MaxStreams = 16;
    private readonly object _gate = new();
    private readonly List<Stream> _streams = new();
    private readonly int _window;
    private readonly int _budget;
    private long _clock;

    /// <param name="window">How far behind a stream's furthest block a read may start and still belong to it (reads in flight arrive out of order).</param>
    /// <param name="budget">Blocks all streams together may have fetched ahead (half the cache), so fetching ahead never evicts what was fetched ahead.</param>
    public SequentialStreams(int window, int budget)
    {
        _window = Math.Max(1, window);
        _budget = Math.Max(1, budget);
    }

    /// <summary>
    /// Records a read of blocks [first, last]. Returns the first block to fetch ahead of its stream and how many
    /// (count 0 when the read starts no stream), so each block is asked for once per stream.
    /// </summary>
    public (long From, int Count) Record(long first, long last, int ahead)
    {
        lock (_gate)
        {
            _clock++;
            var stream = _streams.FirstOrDefault(s => first <= s.Furthest + 1 && first >= s.Furthest - _window);
            if (stream is null)
            {
                // A new stream becomes sequential at its second read; until then only its position is kept.
                if (_streams.Count == MaxStreams) _streams.Remove(_streams.OrderBy(s => s.Used).First());
                _streams.Add(new Stream { Furthest = last, FetchedTo = last, Used = _clock });
                return (0, 0);
            }
            stream.Used = _clock;
            stream.Furthest = Math.Max(stream.Furthest, last);
            // The budget is shared by the streams read lately, not by those a client finished with.
            int active = _streams.Count(s => _clock - s.Used < 8 * MaxStreams);
            ahead = Math.Max(1, Math.Min(ahead, _budget / Math.Max(1, active)));
            long target = stream.Furthest + ahead;
            long from = Math.Max(stream.FetchedTo, stream.Furthest) + 1;
            if (target < from) return (0, 0);
            stream.FetchedTo = target;
            return (from, (int)(target - from + 1));
        }
    }

    private sealed class Stream
    {
        public long Furthest;
        public long FetchedTo;
        public long Used;
    }
}
