using System.Text.Json;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// in-flight/&lt;backup&gt;.&lt;sequence&gt;.inflight (docs/backupstore-format.md §14): the blocks a running backup is
/// about to upload, written (and durable) before the first of them is sent. Not part of Longhorn's format; Longhorn
/// never looks into the folder and removes it with the volume. A block named in a record may be torn in the store (its upload cut short on a store
/// that does not replace objects atomically, or lost to a power loss before the cfg's sync), so no backup trusts it
/// until it has read it back and verified it. The owner deletes its records once its backup is committed.
/// </summary>
/// <param name="BlockSize">The volume's block size, and <paramref name="Compression"/> its method: what a block must
/// decode to, so a record's blocks can be verified without anything else.</param>
public sealed record InFlightRecord(string BackupName, string OwnerLock, int BlockSize, string Compression, IReadOnlyList<string> Blocks)
{
    public byte[] ToJson() => GoJson.Serialize(w =>
    {
        w.WriteStartObject();
        w.WriteString("Backup", BackupName);
        w.WriteString("Lock", OwnerLock);
        w.WriteNumber("BlockSize", BlockSize);
        w.WriteString("Compression", Compression);
        w.WriteStartArray("Blocks");
        foreach (var b in Blocks) w.WriteStringValue(b);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>The record, or null when the bytes are not a whole record (a write cut short: its blocks were never sent).</summary>
    public static InFlightRecord? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) return null;
            string backup = GoJson.GetString(o, "Backup"), owner = GoJson.GetString(o, "Lock"), compression = GoJson.GetString(o, "Compression");
            long blockSize = GoJson.GetInt64(o, "BlockSize");
            if (!BlockSizes.IsValid(blockSize)) return null;
            if (!o.TryGetProperty("Blocks", out var list) || list.ValueKind != JsonValueKind.Array) return null;
            var blocks = new List<string>(list.GetArrayLength());
            foreach (var b in list.EnumerateArray())
            {
                if (b.ValueKind != JsonValueKind.String || b.GetString() is not { } checksum || !Checksum.IsValid(checksum)) return null;
                blocks.Add(checksum);
            }
            return new InFlightRecord(backup, owner, (int)blockSize, compression, blocks);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }
}
