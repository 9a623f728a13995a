using System.Text.Json;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>volume.cfg (backupstore.Volume, docs/backupstore-format.md §2.1).</summary>
public sealed class VolumeConfig
{
    public string Name { get; set; } = "";
    /// <summary>Volume size in bytes at the latest backup; restores are sized by it.</summary>
    public long Size { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public string CreatedTime { get; set; } = "";
    public string LastBackupName { get; set; } = "";
    public string LastBackupAt { get; set; } = "";
    public long BlockCount { get; set; }
    public string BackingImageName { get; set; } = "";
    public string BackingImageChecksum { get; set; } = "";
    /// <summary>As stored; empty in pre-1.5 stores. Use <see cref="EffectiveCompressionMethod"/>.</summary>
    public string CompressionMethod { get; set; } = "";
    public string StorageClassName { get; set; } = "";
    public string DataEngine { get; set; } = "";

    /// <summary>Longhorn's load default: a missing method means gzip (stores written before v1.5).</summary>
    public string EffectiveCompressionMethod => string.IsNullOrEmpty(CompressionMethod) ? "gzip" : CompressionMethod;
    public string EffectiveDataEngine => string.IsNullOrEmpty(DataEngine) ? "v1" : DataEngine;

    public static VolumeConfig Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            return new VolumeConfig
            {
                Name = GoJson.GetString(o, "Name"),
                Size = GoJson.GetInt64(o, "Size"),
                Labels = GoJson.GetStringMap(o, "Labels"),
                CreatedTime = GoJson.GetString(o, "CreatedTime"),
                LastBackupName = GoJson.GetString(o, "LastBackupName"),
                LastBackupAt = GoJson.GetString(o, "LastBackupAt"),
                BlockCount = GoJson.GetInt64(o, "BlockCount"),
                BackingImageName = GoJson.GetDoubleEncodedString(o, "BackingImageName"),
                BackingImageChecksum = GoJson.GetDoubleEncodedString(o, "BackingImageChecksum"),
                CompressionMethod = GoJson.GetDoubleEncodedString(o, "CompressionMethod"),
                StorageClassName = GoJson.GetDoubleEncodedString(o, "StorageClassName"),
                DataEngine = GoJson.GetDoubleEncodedString(o, "DataEngine"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The volume config '{path}' is not valid: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Go's encoding: struct order, int64s quoted, the five ",string" strings double-encoded.</summary>
    public byte[] ToJson() => GoJson.Serialize(w =>
    {
        w.WriteStartObject();
        w.WriteString("Name", Name);
        GoJson.WriteInt64String(w, "Size", Size);
        GoJson.WriteStringMap(w, "Labels", Labels);
        w.WriteString("CreatedTime", CreatedTime);
        w.WriteString("LastBackupName", LastBackupName);
        w.WriteString("LastBackupAt", LastBackupAt);
        GoJson.WriteInt64String(w, "BlockCount", BlockCount);
        GoJson.WriteDoubleEncoded(w, "BackingImageName", BackingImageName);
        GoJson.WriteDoubleEncoded(w, "BackingImageChecksum", BackingImageChecksum);
        GoJson.WriteDoubleEncoded(w, "CompressionMethod", CompressionMethod);
        GoJson.WriteDoubleEncoded(w, "StorageClassName", StorageClassName);
        GoJson.WriteDoubleEncoded(w, "DataEngine", DataEngine);
        w.WriteEndObject();
    });
}
