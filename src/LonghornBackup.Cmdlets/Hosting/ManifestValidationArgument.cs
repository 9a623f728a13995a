using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Hosting;

/// <summary>-Validation Strict|Warn|Ignore (ValidateSet checks the word, in any case) as the engine's setting.</summary>
internal static class ManifestValidationArgument
{
    public static ManifestValidation Parse(string value) => (ManifestValidation)Enum.Parse(typeof(ManifestValidation), value, ignoreCase: true);
}
