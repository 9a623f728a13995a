using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>The finished backup as stored, the volume after it, and what the run did.</summary>
public sealed record BackupResult(
    BackupConfig Backup,
    VolumeConfig Volume,
    string Url,
    BackupCounters Counters,
    IReadOnlyList<string> Warnings);
