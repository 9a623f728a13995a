using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// A checked change of a target, not yet saved: the definition to save, the keys to store first, and what it changes
/// in words. <see cref="Saved"/> is the definition it replaces (null for a new target).
/// </summary>
public sealed record TargetChangePlan(BackupTargetDefinition Definition, BackupTargetDefinition? Saved, TargetUrl Url)
{
    public PendingCredentials? Credentials { get; init; }

    /// <summary>Values given that are not used, and settings dropped because the target changes kind.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>The settings given or cleared, by name ("MaxBytesPerSecond", "clear EndpointUrl"), for the confirmation.</summary>
    public IReadOnlyList<string> Changes { get; init; } = Array.Empty<string>();

    /// <summary>True when an existing target gets a URL of another kind (its old kind's settings are dropped).</summary>
    public bool ChangesKind { get; init; }
}
