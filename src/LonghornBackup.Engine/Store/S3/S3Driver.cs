using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// S3 and S3-compatible stores (MinIO, Ceph RGW, ...): s3://bucket@region/prefix/ and s3://bucket/prefix/. Settings
/// (<see cref="S3TargetSettings"/>) name the endpoint, addressing, CA and where the keys are; the keys themselves live
/// in an AWS profile or a Secret manifest, resolved each time the store is opened.
/// </summary>
public sealed class S3Driver : IStoreDriver, ITargetSettingsEditor
{
    public static S3Driver Instance { get; } = new();
    public const string KindName = "S3";

    /// <summary>Uploads in flight when a target does not say: enough to hide a LAN store's request latency.</summary>
    public const int DefaultUploads = 8;

    public string Kind => KindName;
    public IReadOnlyList<string> Schemes { get; } = new[] { "s3" };
    public string UrlForms => "s3://bucket@region/prefix/";
    public int? DefaultConcurrency => DefaultUploads;

    public IReadOnlyCollection<string> ManifestOptions { get; } = new[]
    {
        nameof(TargetSettingsInput.EndpointUrl), nameof(TargetSettingsInput.Region),
        nameof(TargetSettingsInput.ForcePathStyle), nameof(TargetSettingsInput.CACertificatePath),
    };

    public TargetUrl Parse(string url, string scheme, string rest)
    {
        var (canonical, location) = S3UrlParser.Parse(url, rest);
        return new TargetUrl(this, canonical, location);
    }

    public object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings)
    {
        var settings = new S3TargetSettings
        {
            EndpointUrl = input.EndpointUrl,
            Region = input.Region,
            ForcePathStyle = input.ForcePathStyle,
            CACertificatePath = input.CACertificatePath,
            CredentialSource = input.SecretReference is null ? CredentialSource.Default : CredentialSource.Secret,
            CredentialSecret = input.SecretReference,
        };
        S3Settings.Validate(settings);
        if (input.Secret is { } secret && input.SecretReference is { } reference) S3Settings.ValidateSecret(secret, reference);
        if (url.Location is S3Location { Region: { } urlRegion } && settings.Region is not null && urlRegion != settings.Region)
            warnings?.Add($"Target '{input.Name}': the URL names region '{urlRegion}'; -Region '{settings.Region}' is ignored.");
        return settings;
    }

    IReadOnlyCollection<string> ITargetSettingsEditor.Options => S3TargetEditor.Options;
    public IReadOnlyCollection<string> Clearable => S3TargetEditor.Clearable;

    public TargetSettingsEdit Edit(TargetUrl url, string name, BackupTargetDefinition? saved, TargetOptions options, string configDirectory) =>
        S3TargetEditor.Edit(url, name, saved, options);

    public string? CheckSecretKeys(SecretManifest secret)
    {
        if (secret.Values.ContainsKey(CredentialKeys.AwsIamRoleArn)) return null;
        var missing = new[] { CredentialKeys.AwsAccessKeyId, CredentialKeys.AwsSecretAccessKey }.Where(k => !secret.Values.ContainsKey(k)).ToList();
        return missing.Count == 0 ? null
            : $"the Secret '{secret.Name}' ({secret.Location}) lacks {string.Join(" and ", missing)}, which an S3 target needs unless {CredentialKeys.AwsIamRoleArn} is set.";
    }

    public IObjectStore Open(TargetUrl url, BackupTargetDefinition? target, StoreOpenOptions options) =>
        S3StoreFactory.Open(url, target?.S3(), options);

    public TargetDescription Describe(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) => TargetDescription.None;

    public DismountResult Dismount(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) => DismountResult.Nothing;

    public IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement)
    {
        if (target.S3() is not { ProfileCreatedByModule: true, ProfileName: { } name } old) return Array.Empty<string>();
        if (replacement?.S3() is { } now && now.ProfileName == name && now.ProfileLocation == old.ProfileLocation) return Array.Empty<string>();
        S3CredentialProfiles.Remove(name, old.ProfileLocation);
        return new[] { $"Removed the AWS credentials profile '{name}', which held the target's keys." };
    }

    public Task<bool> IsAvailableAsync(TargetUrl url, BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct) =>
        QuickListing.SucceedsAsync(this, url, target, timeout, options, ct);
}
