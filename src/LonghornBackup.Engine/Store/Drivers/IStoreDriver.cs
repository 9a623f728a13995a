using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// Everything the module knows about one kind of backupstore (a folder, S3, ...): its URL forms, its saved settings,
/// how it is opened and how it is checked. Code outside a driver's folder asks the driver, never tests its kind, so a
/// new store is one folder plus one line in <see cref="StoreDrivers"/>.
/// </summary>
public interface IStoreDriver
{
    /// <summary>The kind's name ("FileSystem", "S3"): Get-LhBackupTarget's Kind, and the key of its settings in targets.json.</summary>
    string Kind { get; }

    /// <summary>Lower-case URL schemes this driver parses; "" stands for a plain path (no scheme).</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>The URL forms, for messages that list what is accepted (e.g. "s3://bucket@region/prefix/").</summary>
    string UrlForms { get; }

    /// <summary>Parses a URL of one of <see cref="Schemes"/> (<paramref name="rest"/> follows "scheme://", or is the whole plain path).</summary>
    TargetUrl Parse(string url, string scheme, string rest);

    /// <summary>Blocks moved at once when the target does not say (a latency-bound network store wants several); null: per-core default.</summary>
    int? DefaultConcurrency { get; }

    /// <summary>Set-LhBackupTarget -Manifest options (override names) this driver uses; others are refused for its targets.</summary>
    IReadOnlyCollection<string> ManifestOptions { get; }

    /// <summary>
    /// Checks a target before it is saved and returns the driver's settings for it (null when it has none); a bad
    /// value throws and nothing is saved. Warnings name values that are not used.
    /// </summary>
    object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings);

    /// <summary>A problem with a credential Secret found next to a manifest of this kind (keys the driver needs), or null.</summary>
    string? CheckSecretKeys(SecretManifest secret);

    /// <summary>Resolves the target's settings and credentials and opens its store; reachability shows on first use.</summary>
    IObjectStore Open(TargetUrl url, BackupTargetDefinition? target, StoreOpenOptions options);

    /// <summary>What Get-LhBackupTarget and Test-LhBackupTarget show of this kind (account, container, export, mount point...); changes nothing, never throws, never shows a secret.</summary>
    TargetDescription Describe(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options);

    /// <summary>Releases what the module set up on this machine for the target (a share it mounted) and says what it did; kinds with nothing to release return <see cref="DismountResult.Nothing"/>.</summary>
    DismountResult Dismount(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options);

    /// <summary>
    /// Removes credentials the module stored for <paramref name="target"/> (its own AWS profile, a Secret file it
    /// wrote) that <paramref name="replacement"/>, the target's new definition, no longer uses (null: the target is
    /// being removed); user-made profiles and Secrets are never touched. Returns a sentence per removal.
    /// </summary>
    IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement);

    /// <summary>A quick, retry-free check for listings (Get-LhBackupTarget's Available); never throws for an unusable store.</summary>
    Task<bool> IsAvailableAsync(TargetUrl url, BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct);
}
