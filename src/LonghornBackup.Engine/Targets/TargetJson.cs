using System.Text.Json;
using System.Text.Json.Serialization;

namespace LonghornBackup.Engine.Targets;

/// <summary>The JSON shape of targets.json and of the driver settings inside it: indented, nulls left out.</summary>
internal static class TargetJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
