namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Bounds on a manifest, checked before any object graph is built: building YamlDotNet's node tree recurses once
/// per nesting level, so 50,000 nested '[' would overflow the stack and kill the PowerShell process. Longhorn's
/// manifests nest a handful of levels and weigh a few KB.
/// </summary>
public static class ManifestLimits
{
    /// <summary>Most characters in one manifest input (file or pipeline text).</summary>
    public const int MaxCharacters = 4 * 1024 * 1024;

    /// <summary>Most nested mappings and sequences in one document.</summary>
    public const int MaxDepth = 64;
}
