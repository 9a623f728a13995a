using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup;

/// <summary>Builds the BackupTarget output object from a saved definition.</summary>
internal static class TargetOutput
{
    public static BackupTarget From(BackupTargetDefinition d, TargetRegistry registry, bool available)
    {
        var output = Build(d, registry, available);
        output.Describe(TargetProbe.Describe(d, StoreOpenOptions.Default));
        return output;
    }

    private static BackupTarget Build(BackupTargetDefinition d, TargetRegistry registry, bool available)
    {
        string kind = "Unknown";
        string? region = null;
        try
        {
            var url = TargetUrl.Parse(d.Url);
            kind = url.Kind;
            region = (url.Location as S3Location)?.Region;
        }
        catch (Engine.Errors.LonghornBackupException) { }
        var s3 = d.S3();
#if NET
        var azure = d.GetSettings<Engine.Store.AzureBlob.AzureBlobTargetSettings>(Engine.Store.AzureBlob.AzureBlobDriver.KindName);
#else
        (string? EndpointUrl, string? CACertificatePath, Engine.Targets.CredentialSecretReference? CredentialSecret)? azure = null;
#endif
        return new BackupTarget
        {
            Name = d.Name,
            Url = d.Url,
            Kind = kind,
            Available = available,
            SetAt = d.SetAt.UtcDateTime,
            ConfigPath = registry.FilePath,
            EndpointUrl = s3?.EndpointUrl ?? azure?.EndpointUrl,
            Region = region ?? s3?.Region,
            ForcePathStyle = s3?.ForcePathStyle,
            CACertificatePath = s3?.CACertificatePath ?? azure?.CACertificatePath,
            CredentialSource = kind == S3Driver.KindName ? (s3?.CredentialSource ?? CredentialSource.Default).ToString() : null,
            ProfileName = s3?.ProfileName,
            ProfileLocation = s3?.ProfileLocation,
            CredentialSecret = (s3?.CredentialSecret ?? azure?.CredentialSecret)?.Name,
            CredentialSecretFile = (s3?.CredentialSecret ?? azure?.CredentialSecret)?.File,
            PollInterval = d.PollInterval,
            MaxConcurrentUploads = d.MaxConcurrentUploads,
            MaxBytesPerSecond = d.MaxBytesPerSecond,
            RetentionPolicy = d.RetentionPolicy,
        };
    }
}
