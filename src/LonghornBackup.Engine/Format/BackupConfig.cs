using System.Text.Json;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>backups/backup_&lt;name&gt;.cfg (backupstore.Backup, docs/backupstore-format.md §2.2). Holds the complete block map.</summary>
public sealed class BackupConfig
{
    public string Name { get; set; } = "";
    public string VolumeName { get; set; } = "";
    public string SnapshotName { get; set; } = "";
    public string SnapshotCreatedAt { get; set; } = "";
    /// <summary>Empty while the backup is in progress (or after it crashed).</summary>
    public string CreatedTime { get; set; } = "";
    /// <summary>Number of mapped blocks times the block size: logical data covered, not bytes uploaded.</summary>
    public long Size { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Parameters { get; set; }
    public bool IsIncremental { get; set; }
    /// <summary>As stored; empty in pre-1.5 stores. Use <see cref="EffectiveCompressionMethod"/>.</summary>
    public string CompressionMethod { get; set; } = "";
    public long NewlyUploadedDataSize { get; set; }
    public long ReUploadedDataSize { get; set; }
    /// <summary>Sorted by offset, one entry per offset. Empty after <see cref="DropBlockMap"/>.</summary>
    public List<BlockMapping> Blocks
    {
        get => _blocks;
        set { _blocks = value; _droppedBlockCount = null; }
    }

    /// <summary>Entries of the block map, also after a listing dropped the map itself.</summary>
    public int BlockCount => _droppedBlockCount ?? _blocks.Count;

    /// <summary>
    /// Frees the block map and keeps its count: a listing of thousands of backups needs their names, times and labels,
    /// not millions of block entries held at once. Load the backup again for its map.
    /// </summary>
    public void DropBlockMap()
    {
        _droppedBlockCount = BlockCount;
        _blocks = new List<BlockMapping>();
    }

    private List<BlockMapping> _blocks = new();
    private int? _droppedBlockCount;

    public bool IsInProgress => CreatedTime.Length == 0;
    public string EffectiveCompressionMethod => string.IsNullOrEmpty(CompressionMethod) ? "gzip" : CompressionMethod;

    /// <summary>The backup-mode parameter: "full", "incremental", or "" for backups that predate it.</summary>
    public string Mode => Parameters is not null && Parameters.TryGetValue(BackupParameters.Mode, out var m) ? m : "";

    /// <summary>Block size from Parameters; null when the recorded value cannot be parsed.</summary>
    public long? BlockSize => BlockSizes.FromParameters(Parameters);

    public static BackupConfig Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            var cfg = new BackupConfig
            {
                Name = GoJson.GetString(o, "Name"),
                VolumeName = GoJson.GetString(o, "VolumeName"),
                SnapshotName = GoJson.GetString(o, "SnapshotName"),
                SnapshotCreatedAt = GoJson.GetString(o, "SnapshotCreatedAt"),
                CreatedTime = GoJson.GetString(o, "CreatedTime"),
                Size = GoJson.GetInt64(o, "Size"),
                Labels = GoJson.GetStringMap(o, "Labels"),
                Parameters = GoJson.GetStringMap(o, "Parameters"),
                IsIncremental = GoJson.GetBool(o, "IsIncremental"),
                // A plain string in the backup cfg (unlike volume.cfg); decode leniently all the same.
                CompressionMethod = GoJson.GetDoubleEncodedString(o, "CompressionMethod"),
                NewlyUploadedDataSize = GoJson.GetInt64(o, "NewlyUploadedDataSize"),
                ReUploadedDataSize = GoJson.GetInt64(o, "ReUploadedDataSize"),
            };
            if (GoJson.TryGetProperty(o, "Blocks", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
            {
                cfg.Blocks.Capacity = blocks.GetArrayLength();
                foreach (var b in blocks.EnumerateArray())
                {
                    string checksum = GoJson.GetString(b, "BlockChecksum");
                    if (!Checksum.IsValid(checksum)) throw new FormatException($"block checksum '{checksum}' is not 64 lower-case hex digits");
                    long offset = GoJson.GetInt64(b, "Offset");
                    if (offset < 0) throw new FormatException($"negative block offset {offset}");
                    cfg.Blocks.Add(new BlockMapping(offset, checksum));
                }
                cfg.Blocks.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            }
            return cfg;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The backup config '{path}' is not valid: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Go's encoding of backupstore.Backup, field for field (docs/backupstore-format.md §2.2).</summary>
    public byte[] ToJson() => GoJson.Serialize(w =>
    {
        w.WriteStartObject();
        w.WriteString("Name", Name);
        w.WriteString("VolumeName", VolumeName);
        w.WriteString("SnapshotName", SnapshotName);
        w.WriteString("SnapshotCreatedAt", SnapshotCreatedAt);
        w.WriteString("CreatedTime", CreatedTime);
        GoJson.WriteInt64String(w, "Size", Size);
        GoJson.WriteStringMap(w, "Labels", Labels);
        GoJson.WriteStringMap(w, "Parameters", Parameters);
        w.WriteBoolean("IsIncremental", IsIncremental);
        w.WriteString("CompressionMethod", CompressionMethod);
        GoJson.WriteInt64String(w, "NewlyUploadedDataSize", NewlyUploadedDataSize);
        GoJson.WriteInt64String(w, "ReUploadedDataSize", ReUploadedDataSize);
        w.WriteNull("ProcessingBlocks");
        if (Blocks.Count > 0)
        {
            w.WriteStartArray("Blocks");
            foreach (var b in Blocks)
            {
                w.WriteStartObject();
                w.WriteNumber("Offset", b.Offset);
                w.WriteString("BlockChecksum", b.BlockChecksum);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteStartObject("SingleFile");
        w.WriteString("FilePath", "");
        w.WriteEndObject();
        w.WriteEndObject();
    });
}
