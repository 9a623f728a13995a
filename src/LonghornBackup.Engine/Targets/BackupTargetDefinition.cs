using System.Text.Json;
using System.Text.Json.Serialization;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// A named backup target as persisted per user. Holds no secrets: credentials are referenced (a profile, or a Secret
/// manifest, by name and file), never stored here. Properties added after the first release are optional, so older
/// targets.json files load. Each driver keeps its settings under its kind's name ("S3": {...}), the shape S3
/// targets were saved in before drivers were registered, so those files load unchanged.
/// </summary>
public sealed record BackupTargetDefinition(string Name, string Url, DateTimeOffset SetAt)
{
    /// <summary>
    /// Longhorn's spec.pollInterval, kept from a BackupTarget manifest so the target exports as it was applied; null
    /// when none was given (Longhorn's default, 5m0s). The module does not poll.
    /// </summary>
    public TimeSpan? PollInterval { get; init; }

    /// <summary>Blocks uploaded at once by a backup to this target; null picks the driver's default.</summary>
    public int? MaxConcurrentUploads { get; init; }

    /// <summary>Bandwidth limit of backups, restores and deep checks on this target (their -MaxBytesPerSecond overrides); null: none.</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>The retention policy kept with the target (Remove-LhBackup -UseTargetPolicy applies it); null: none.</summary>
    public Lifecycle.RetentionRules? RetentionPolicy { get; init; }

    /// <summary>
    /// The drivers' settings by kind name, and any property a newer version wrote: kept as read, so saving a target
    /// never drops what this version does not understand.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? DriverSettings { get; init; }

    /// <summary>The settings saved under <paramref name="kind"/>, or null.</summary>
    public T? GetSettings<T>(string kind) where T : class =>
        DriverSettings is { } all && all.TryGetValue(kind, out var json) && json.ValueKind == JsonValueKind.Object
            ? json.Deserialize<T>(TargetJson.Options)
            : null;

    /// <summary>A copy with <paramref name="settings"/> saved under <paramref name="kind"/> (null removes them).</summary>
    public BackupTargetDefinition WithSettings(string kind, object? settings)
    {
        var all = DriverSettings is null ? new Dictionary<string, JsonElement>(StringComparer.Ordinal) : new Dictionary<string, JsonElement>(DriverSettings, StringComparer.Ordinal);
        if (settings is null) all.Remove(kind);
        else all[kind] = JsonSerializer.SerializeToElement(settings, settings.GetType(), TargetJson.Options);
        return this with { DriverSettings = all.Count == 0 ? null : all };
    }

    /// <summary>The backup worker count for this target: its setting, else its driver's default (null: the engine's per-core default).</summary>
    public int? UploadConcurrency() =>
        MaxConcurrentUploads ?? (StoreDrivers.ForUrlText(Url)?.DefaultConcurrency);

    public bool Equals(BackupTargetDefinition? other) =>
        other is not null && Name == other.Name && Url == other.Url && SetAt == other.SetAt && PollInterval == other.PollInterval
        && MaxConcurrentUploads == other.MaxConcurrentUploads && MaxBytesPerSecond == other.MaxBytesPerSecond
        && Equals(RetentionPolicy, other.RetentionPolicy) && SettingsText(DriverSettings) == SettingsText(other.DriverSettings);

    public override int GetHashCode() => (Name, Url, SetAt).GetHashCode();

    private static string SettingsText(Dictionary<string, JsonElement>? settings) =>
        settings is null ? "" : string.Join("\n", settings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + JsonSerializer.Serialize(p.Value)));
}
