using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>A target's S3 settings, saved under "S3" in targets.json (the shape they always had).</summary>
public static class S3TargetExtensions
{
    public static S3TargetSettings? S3(this BackupTargetDefinition target) => target.GetSettings<S3TargetSettings>(S3Driver.KindName);

    public static BackupTargetDefinition WithS3(this BackupTargetDefinition target, S3TargetSettings? settings) =>
        target.WithSettings(S3Driver.KindName, settings);
}
