using System.Text.Json;

namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>
/// volume.meta of a Longhorn v1 replica directory (the engine's replica Info, docs/backupstore-format.md §10): the volume size, the head
/// layer and its parent, and whether the volume has a backing file or is encrypted.
/// </summary>
public sealed record ReplicaInfo
{
    public long Size { get; init; }
    /// <summary>File name of the writable top layer, e.g. volume-head-003.img.</summary>
    public string Head { get; init; } = "";
    public bool Dirty { get; init; }
    public bool Rebuilding { get; init; }
    public string Error { get; init; } = "";
    /// <summary>File name of the head's parent layer; empty when the head is the only layer.</summary>
    public string Parent { get; init; } = "";
    public long SectorSize { get; init; }
    /// <summary>Path of the backing file on the node that owns the replica; empty without one.</summary>
    public string BackingFilePath { get; init; } = "";
    /// <summary>The layers hold ciphertext (a LUKS volume); backups then hold ciphertext too, as Longhorn's do.</summary>
    public bool Encrypted { get; init; }

    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Parses volume.meta; throws JsonException (or FormatException) when it is not Longhorn's JSON.</summary>
    public static ReplicaInfo Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ReplicaInfo>(json, Options) ?? throw new FormatException("volume.meta is empty (null)");
}
