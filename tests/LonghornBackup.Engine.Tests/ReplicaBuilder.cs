using System.Text.Json;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Builds a real Longhorn v1 replica directory on disk, as the engine leaves it (docs/backupstore-format.md §10): sparse layer files whose
/// allocation says which sectors they hold, .img.meta files linking each layer to its parent, and volume.meta. It also
/// keeps its own model of what was written to which layer, and assembles a snapshot's expected flat image from that
/// model alone (base first, each newer layer's writes over it), independently of the code under test.
/// </summary>
internal sealed class ReplicaBuilder
{
    private readonly long _size;
    private readonly List<string> _order = new();                       // layer files, oldest first
    private readonly Dictionary<string, string> _parent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long Offset, byte[] Data)>> _writes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _removed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _created = new(StringComparer.Ordinal);
    private int _headNumber;
    private string? _backing;
    private readonly List<(long Offset, byte[] Data)> _backingWrites = new();

    public ReplicaBuilder(string folder, string volume, long size)
    {
        _size = size;
        Path = System.IO.Path.Combine(folder, $"{volume}-1a2b3c4d");
        Directory.CreateDirectory(Path);
        Head = NewHead(parent: "");
    }

    public string Path { get; }
    /// <summary>The current head layer's file name.</summary>
    public string Head { get; private set; }

    public static string Snap(string name) => $"volume-snap-{name}.img";

    /// <summary>Writes data into the head (allocating its sectors); zeros written this way are allocated, not holes.</summary>
    public ReplicaBuilder Write(long offset, byte[] data)
    {
        WriteFile(Head, offset, data);
        _writes[Head].Add((offset, data));
        return this;
    }

    /// <summary>Allocates <paramref name="length"/> bytes of zeros in the head: real data that hides the parents.</summary>
    public ReplicaBuilder WriteZeros(long offset, int length) => Write(offset, new byte[length]);

    /// <summary>
    /// Takes a snapshot as the engine does: the head becomes volume-snap-name.img, a new empty head on top.
    /// <paramref name="created"/> is its .img.meta Created as written ("" as some older replicas leave it); by default
    /// a time a minute apart per layer.
    /// </summary>
    public ReplicaBuilder Snapshot(string name, bool removed = false, string? created = null)
    {
        string snap = Snap(name);
        File.Move(System.IO.Path.Combine(Path, Head), System.IO.Path.Combine(Path, snap));
        File.Delete(System.IO.Path.Combine(Path, Head + ".meta"));
        Rename(Head, snap);
        _removed[snap] = removed;
        if (created is not null) _created[snap] = created;
        WriteMeta(snap);
        Head = NewHead(parent: snap);
        return this;
    }

    /// <summary>A backing file under the base layer (outside the replica directory), with data at the given offsets.</summary>
    public ReplicaBuilder WithBackingFile(string path, params (long Offset, byte[] Data)[] writes)
    {
        _backing = path;
        using (var f = new FileStream(path, FileMode.Create)) f.SetLength(_size);
        foreach (var w in writes)
        {
            TestImages.Write(path, w.Offset, w.Data);
            _backingWrites.Add(w);
        }
        WriteVolumeMeta();
        return this;
    }

    /// <summary>
    /// Deletes a snapshot the way Longhorn's purge ends up: its data merged into its child where the child holds
    /// nothing, the child re-parented, its files gone. The child's view does not change.
    /// </summary>
    public ReplicaBuilder DeleteSnapshot(string name)
    {
        string snap = Snap(name);
        string child = _parent.Single(p => p.Value == snap).Key;
        var merged = new List<(long, byte[])>(_writes[snap]);
        merged.AddRange(_writes[child]);   // the child's own writes win
        foreach (var (offset, data) in merged) WriteFile(child, offset, data);
        _writes[child] = merged;
        _parent[child] = _parent[snap];
        _order.Remove(snap);
        File.Delete(System.IO.Path.Combine(Path, snap));
        File.Delete(System.IO.Path.Combine(Path, snap + ".meta"));
        WriteMeta(child);
        WriteVolumeMeta();
        return this;
    }

    /// <summary>The snapshot's view, from the model: zeros, the backing file, then each layer from the base up.</summary>
    public string ExpectedImage(string snapshotName, string path)
    {
        string top = snapshotName == "volume-head" ? Head : Snap(snapshotName);
        var chain = new List<string>();
        for (string? l = top; !string.IsNullOrEmpty(l); l = _parent[l]) chain.Insert(0, l);
        var writes = new List<(long, byte[])>(_backingWrites);
        foreach (var layer in chain) writes.AddRange(_writes[layer]);
        return TestImages.Create(path, _size, writes.ToArray());
    }

    private string NewHead(string parent)
    {
        string head = $"volume-head-{_headNumber++:000}.img";
        using (var f = new FileStream(System.IO.Path.Combine(Path, head), FileMode.CreateNew)) f.SetLength(_size);
        _order.Add(head);
        _parent[head] = parent;
        _writes[head] = new List<(long, byte[])>();
        _removed[head] = false;
        Head = head;
        WriteMeta(head);
        WriteVolumeMeta();
        return head;
    }

    private void Rename(string from, string to)
    {
        _order[_order.IndexOf(from)] = to;
        _parent[to] = _parent[from];
        _parent.Remove(from);
        _writes[to] = _writes[from];
        _writes.Remove(from);
        foreach (var key in _parent.Keys.ToList()) if (_parent[key] == from) _parent[key] = to;
    }

    private void WriteFile(string layer, long offset, byte[] data) => TestImages.Write(System.IO.Path.Combine(Path, layer), offset, data);

    private void WriteMeta(string layer) => File.WriteAllText(System.IO.Path.Combine(Path, layer + ".meta"), JsonSerializer.Serialize(new
    {
        Name = layer,
        Parent = _parent[layer],
        Removed = _removed.GetValueOrDefault(layer),
        UserCreated = true,
        Created = _created.TryGetValue(layer, out var created) ? created : DateTime.UtcNow.AddMinutes(_order.IndexOf(layer)).ToString("yyyy-MM-ddTHH:mm:ssZ"),
        Labels = (object?)null,
    }));

    private void WriteVolumeMeta() => File.WriteAllText(System.IO.Path.Combine(Path, "volume.meta"), JsonSerializer.Serialize(new
    {
        Size = _size,
        Head,
        Dirty = true,
        Rebuilding = false,
        Error = "",
        Parent = _parent[Head],
        SectorSize = 512,
        BackingFilePath = _backing ?? "",
        Encrypted = false,
    }) + "\n");
}
