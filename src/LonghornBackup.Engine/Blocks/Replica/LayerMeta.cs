using System.Text.Json;

namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>
/// &lt;layer&gt;.img.meta of a replica layer (the engine's disk record, docs/backupstore-format.md §10): its parent layer's file name, whether
/// its snapshot was removed (it stays in the chain with its data until Longhorn coalesces it), who created it, when,
/// and its labels.
/// </summary>
public sealed record LayerMeta
{
    /// <summary>The parent layer's file name (volume-snap-x.img), or empty for the base layer.</summary>
    public string Parent { get; init; } = "";
    public bool Removed { get; init; }
    public bool UserCreated { get; init; }
    /// <summary>As written (RFC 3339); empty in some older replicas.</summary>
    public string Created { get; init; } = "";
    public Dictionary<string, string>? Labels { get; init; }

    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static LayerMeta Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<LayerMeta>(json, Options) ?? throw new FormatException("the layer's .meta is empty (null)");
}
