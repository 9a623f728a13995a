using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// The Go encoding/json behaviours the backupstore depends on (docs/backupstore-format.md §0, §0.1): case-insensitive field names,
/// int64 fields written as quoted decimals (",string"), string fields written double-encoded, RFC 3339 times.
/// Readers here are lenient (plain or double-encoded strings, quoted or bare numbers); writers produce what Go does.
/// </summary>
public static class GoJson
{
    /// <summary>
    /// Writes quotes as \" and non-ASCII as UTF-8, like Go. (Go also escapes &lt; &gt; &amp; for HTML; readers do not
    /// care, and the relaxed encoder keeps the double-encoded strings byte-identical to Go's.)
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static bool TryGetProperty(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value)) return true;
        foreach (var p in obj.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) { value = p.Value; return true; }
        value = default;
        return false;
    }

    public static string GetString(JsonElement obj, string name)
    {
        if (!TryGetProperty(obj, name, out var v) || v.ValueKind == JsonValueKind.Null) return "";
        if (v.ValueKind != JsonValueKind.String) throw new FormatException($"field {name} is not a string");
        return v.GetString() ?? "";
    }

    /// <summary>A ",string" string field: double-encoded as Go writes it, or plain as lenient readers accept.</summary>
    public static string GetDoubleEncodedString(JsonElement obj, string name)
    {
        string raw = GetString(obj, name);
        if (raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"')
        {
            try { return JsonSerializer.Deserialize<string>(raw) ?? ""; }
            catch (JsonException) { /* not an encoded literal after all: keep it as written */ }
        }
        return raw;
    }

    /// <summary>An int64 field: a quoted decimal (",string") or a bare number; missing or null is 0.</summary>
    public static long GetInt64(JsonElement obj, string name)
    {
        if (!TryGetProperty(obj, name, out var v) || v.ValueKind == JsonValueKind.Null) return 0;
        if (v.ValueKind == JsonValueKind.Number) return v.GetInt64();
        if (v.ValueKind == JsonValueKind.String)
        {
            string s = v.GetString() ?? "";
            if (s.Length == 0) return 0;
            if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n;
        }
        throw new FormatException($"field {name} is not an integer");
    }

    public static bool GetBool(JsonElement obj, string name) =>
        TryGetProperty(obj, name, out var v) && v.ValueKind == JsonValueKind.True;

    public static Dictionary<string, string>? GetStringMap(JsonElement obj, string name)
    {
        if (!TryGetProperty(obj, name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw new FormatException($"field {name} is not an object");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
        return map;
    }

    public static void WriteStringMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        // Go marshals map keys sorted.
        foreach (var key in map.Keys.OrderBy(k => k, StringComparer.Ordinal)) w.WriteString(key, map[key]);
        w.WriteEndObject();
    }

    public static void WriteInt64String(Utf8JsonWriter w, string name, long value) =>
        w.WriteString(name, value.ToString(CultureInfo.InvariantCulture));

    private static readonly JsonSerializerOptions InnerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteDoubleEncoded(Utf8JsonWriter w, string name, string value) =>
        w.WriteString(name, JsonSerializer.Serialize(value, InnerOptions));

    /// <summary>Go's time.RFC3339 of a UTC time: whole seconds and 'Z'.</summary>
    public static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : null;
    }

    public static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        return buffer.WrittenSpan.ToArray();
    }
}
