using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// Set-LhBackupTarget without -Manifest: the target's name and what was given. A value left null keeps the saved one
/// (or, for a new target, the default); <see cref="TargetOptions.Cleared"/> names the settings to remove.
/// </summary>
public sealed record TargetChangeRequest
{
    public string Name { get; init; } = TargetRegistry.DefaultName;
    /// <summary>The URL given; null keeps the saved one (a new target needs one).</summary>
    public TargetUrl? Url { get; init; }
    public int? MaxConcurrentUploads { get; init; }
    public long? MaxBytesPerSecond { get; init; }
    public Lifecycle.RetentionRules? RetentionPolicy { get; init; }
    /// <summary>The store options given and the settings to clear.</summary>
    public TargetOptions Options { get; init; } = TargetOptions.None;
    /// <summary>The folder of targets.json, where Secret files the module writes go.</summary>
    public string ConfigDirectory { get; init; } = "";
}
