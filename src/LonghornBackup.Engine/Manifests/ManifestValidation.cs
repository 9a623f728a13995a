namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// What a field that Longhorn's CRD (or Kubernetes' Secret and object metadata) does not have does to a manifest, as
/// kubectl's --validate does: a typo such as spec.lables must not apply as a backup without labels.
/// </summary>
public enum ManifestValidation
{
    /// <summary>The input is refused (InvalidManifest naming the field, its document and line, and the closest known field).</summary>
    Strict,
    /// <summary>The manifest applies without the field, with a warning naming it.</summary>
    Warn,
    /// <summary>The manifest applies without the field, silently.</summary>
    Ignore,
}
