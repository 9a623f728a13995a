using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>One target a BackupTarget manifest sets, checked and settled (manifest, then command-line overrides), ready to save.</summary>
public sealed record PlannedTarget(BackupTargetManifest Manifest, TargetUrl Url, BackupTargetDefinition Definition);
