using System.Text.Json;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>A mount this module made: where, of what, and the kernel's id of that mount (ids are not reused while it lives).</summary>
public sealed record MountRecord(string MountPoint, string Source, int MountId, DateTimeOffset MountedAt);

/// <summary>
/// The mounts this module made, kept in mounts.json beside targets.json, so that "mounted by whom" survives the
/// session and only the module's own mounts are ever unmounted. A record counts only while the mount table still
/// shows that very mount (same point, source and id); anything else is someone else's mount.
/// </summary>
public sealed class MountRecords
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public MountRecords(string filePath) => FilePath = filePath;

    public string FilePath { get; }

    public IReadOnlyList<MountRecord> Load()
    {
        if (!File.Exists(FilePath)) return Array.Empty<MountRecord>();
        try { return JsonSerializer.Deserialize<List<MountRecord>>(File.ReadAllBytes(FilePath), Json) ?? new List<MountRecord>(); }
        catch (JsonException) { return Array.Empty<MountRecord>(); }   // a damaged file: no mount counts as ours, none is unmounted
    }

    /// <summary>Whether <paramref name="entry"/> is a mount this module made.</summary>
    public bool IsOwn(MountEntry entry) =>
        Load().Any(r => r.MountId == entry.Id && r.MountPoint == entry.MountPoint && r.Source == entry.Source);

    public void Add(MountRecord record) => Save(Load().Where(r => r.MountPoint != record.MountPoint).Append(record));

    public void Remove(string mountPoint) => Save(Load().Where(r => r.MountPoint != mountPoint));

    private void Save(IEnumerable<MountRecord> records)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        string temp = FilePath + ".tmp." + Environment.ProcessId;
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(records.ToList(), Json));
        File.Move(temp, FilePath, overwrite: true);
    }
}
