namespace LonghornBackup;

/// <summary>A backup mounted read-only through kernel NBD, as Mount-LhBackup emits it; Path binds to Dismount-LhBackup.</summary>
public sealed class BackupMount
{
    public string Path { get; init; } = "";
    /// <summary>The NBD device (or its partition) that is mounted, e.g. /dev/nbd0 or /dev/nbd0p1.</summary>
    public string Device { get; init; } = "";
    public string ExportName { get; init; } = "";
    public string Uri { get; init; } = "";
    public string VolumeName { get; init; } = "";
    public string BackupName { get; init; } = "";

    public override string ToString() => Path;
}
