using System.Text.Json;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Locking;

/// <summary>
/// locks/lock-&lt;16 hex&gt;.lck (backupstore.FileLock, docs/backupstore-format.md §2.3): {"Name":"lock-…","Type":1,"Acquired":false}.
/// The lock's time is not in the JSON: it is the object's modification time as the store reports it.
/// </summary>
public sealed record LockFile(string Name, LockType Type, bool Acquired)
{
    public byte[] ToJson() => GoJson.Serialize(w =>
    {
        w.WriteStartObject();
        w.WriteString("Name", Name);
        w.WriteNumber("Type", (int)Type);
        w.WriteBoolean("Acquired", Acquired);
        w.WriteEndObject();
    });

    public static LockFile Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            return new LockFile(GoJson.GetString(o, "Name"), (LockType)GoJson.GetInt64(o, "Type"), GoJson.GetBool(o, "Acquired"));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The lock file '{path}' is not valid: {e.Message}", path, inner: e);
        }
    }
}
