using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup;

/// <summary>Builds the BackupTarget output object, including whether the target can be reached now.</summary>
internal static class TargetOutput
{
    public static BackupTarget From(BackupTargetDefinition d, TargetRegistry registry)
    {
        string kind = "Unknown";
        bool available = false;
        try
        {
            var url = TargetUrl.Parse(d.Url);
            kind = url.Kind.ToString();
            available = url.Kind == TargetKind.FileSystem && Directory.Exists(url.LocalPath);
        }
        catch (Engine.Errors.LonghornBackupException) { }
        return new BackupTarget
        {
            Name = d.Name,
            Url = d.Url,
            Kind = kind,
            Available = available,
            SetAt = d.SetAt.UtcDateTime,
            ConfigPath = registry.FilePath,
        };
    }
}
