namespace LonghornBackup;

/// <summary>
/// YAML text for New-LhBackup -ManifestText. A type of its own, built only from a string, so that pipeline binding
/// takes strings (Get-Content output) and never turns other piped objects (a BackupVolume, an object with
/// VolumeName/SnapshotName/Path properties) into "YAML" through PowerShell's ToString coercion.
/// </summary>
public sealed class ManifestText
{
    public ManifestText(string text) => Text = text ?? "";

    public string Text { get; }

    public override string ToString() => Text;
}
