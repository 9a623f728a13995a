using System.Text.Json;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// A backup cfg cut short as it was written: a store without atomic writes keeps what arrived before its writer was
/// killed (docs/backupstore-format.md §14). Its bytes are empty, or a beginning of a JSON document that stops before
/// the document ends; such a cfg names no block map, was never reported complete, and stops garbage collection of the
/// volume (§5.2). A cfg that is complete JSON but not a valid cfg is not judged here: it is left for its owner. Every
/// cfg older than the age limit is read, so only Repair-LhBackupVolume looks for these, not every retention run.
/// </summary>
internal sealed class TornBackupKind : ILeftoverKind
{
    public static TornBackupKind Instance { get; } = new();

    public string Name => "TornBackup";
    public string Noun => "torn backup config";

    public async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct)
    {
        var candidates = new List<(string Name, string Key)>();
        foreach (var (relative, _) in await scan.ListAsync("backups", ct).ConfigureAwait(false))
        {
            if (relative.IndexOf('/', "backups/".Length) >= 0) continue;
            if (StorePaths.BackupNameFromFile(relative["backups/".Length..]) is { } name)
                candidates.Add((name, StorePaths.BackupConfig(scan.VolumeName, name)));
        }
        var found = new Leftover?[candidates.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, candidates.Count),
            new ParallelOptions { MaxDegreeOfParallelism = scan.Store.ReadParallelism, CancellationToken = ct }, async (i, token) =>
            {
                var (name, key) = candidates[i];
                if (await scan.Store.Store.StatAsync(key, token).ConfigureAwait(false) is not { } info) return;
                var age = scan.AgeOf(info.LastModified);
                if (age < scan.OlderThan) return;
                var bytes = await scan.Store.Store.ReadAsync(key, token).ConfigureAwait(false);
                if (bytes is null || !IsCutShort(bytes)) return;
                found[i] = new Leftover(Name, key, name, info.LastModified, age, info.Size,
                    $"backup '{name}' has a config of {bytes.Length} bytes that stops before its end, written {Ages.Describe(age)} ago");
            }).ConfigureAwait(false);
        return found.OfType<Leftover>().ToList();
    }

    /// <summary>Empty, or JSON that reads without a syntax error up to the last byte and still has not ended.</summary>
    internal static bool IsCutShort(byte[] bytes)
    {
        if (bytes.Length == 0) return true;
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read()) { }
        }
        catch (JsonException)
        {
            return false;   // not a beginning of JSON at all: somebody else's damage
        }
        // A whole cfg ends with the end of its top-level object.
        return !(reader.CurrentDepth == 0 && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray);
    }

    public Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct) =>
        LeftoverKinds.DeleteIfUnchangedAsync(scan, leftover, ct);
}
