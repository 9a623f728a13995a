using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Azure Blob Storage (and Azurite, Azure Stack): azblob://container@suffix/prefix/ and azblob://container/prefix/
/// with an endpoint. Settings (<see cref="AzureBlobTargetSettings"/>) name the endpoint, account, CA and the Secret
/// that holds the key; keys are never saved in targets.json.
/// </summary>
public sealed class AzureBlobDriver : IStoreDriver, ITargetSettingsEditor
{
    public static AzureBlobDriver Instance { get; } = new();
    public const string KindName = "AzureBlob";

    /// <summary>Uploads in flight when a target does not say: as for S3, enough to hide a request's latency.</summary>
    public const int DefaultUploads = 8;

    public string Kind => KindName;
    public IReadOnlyList<string> Schemes { get; } = new[] { "azblob" };
    public string UrlForms => "azblob://container@core.windows.net/prefix/";
    public int? DefaultConcurrency => DefaultUploads;

    public IReadOnlyCollection<string> ManifestOptions { get; } = new[]
    {
        nameof(TargetSettingsInput.EndpointUrl), nameof(TargetSettingsInput.CACertificatePath),
    };

    public TargetUrl Parse(string url, string scheme, string rest)
    {
        var (canonical, location) = AzureBlobUrlParser.Parse(url, rest);
        return new TargetUrl(this, canonical, location);
    }

    public object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings)
    {
        var settings = new AzureBlobTargetSettings
        {
            EndpointUrl = input.EndpointUrl,
            CACertificatePath = input.CACertificatePath,
            CredentialSecret = input.SecretReference,
        };
        AzureBlobSettings.Validate(settings);
        if (input.Secret is { } secret && input.SecretReference is { } reference)
            AzureBlobConnection.CheckSecret((AzureBlobLocation)url.Location!, settings, secret, reference);
        return settings;
    }

    IReadOnlyCollection<string> ITargetSettingsEditor.Options => AzureBlobTargetEditor.Options;
    public IReadOnlyCollection<string> Clearable => AzureBlobTargetEditor.Clearable;

    public TargetSettingsEdit Edit(TargetUrl url, string name, BackupTargetDefinition? saved, TargetOptions options, string configDirectory) =>
        AzureBlobTargetEditor.Edit(name, saved, options, configDirectory);

    public string? CheckSecretKeys(SecretManifest secret)
    {
        bool name = secret.Values.ContainsKey(AzureBlobKeys.AccountName), key = secret.Values.ContainsKey(AzureBlobKeys.AccountKey);
        if (name && (key || secret.Values.ContainsKey(AzureBlobKeys.SasToken))) return null;
        var missing = new[] { AzureBlobKeys.AccountName, AzureBlobKeys.AccountKey }.Where(k => !secret.Values.ContainsKey(k));
        return $"the Secret '{secret.Name}' ({secret.Location}) lacks {string.Join(" and ", missing)}, which an Azure Blob target needs.";
    }

    public IObjectStore Open(TargetUrl url, BackupTargetDefinition? target, StoreOpenOptions options)
    {
        var connection = AzureBlobConnection.Resolve(url, target?.GetSettings<AzureBlobTargetSettings>(KindName), options);
        foreach (var line in connection.Describe()) options.Report(line);
        var (client, transport) = AzureBlobClientFactory.Create(connection, options);
        return new AzureBlobStore(client, connection, Http.RequestRetries.For(options), options.ListPageSize, transport);
    }

    public TargetDescription Describe(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options)
    {
        var location = (AzureBlobLocation)url.Location!;
        var settings = target.GetSettings<AzureBlobTargetSettings>(KindName);
        try
        {
            var connection = AzureBlobConnection.Resolve(url, settings, options);
            return new TargetDescription
            {
                AccountName = connection.Account,
                Container = connection.Container,
                ServiceEndpoint = connection.ServiceUri.GetLeftPart(UriPartial.Path).TrimEnd('/'),
                KeySource = connection.Credential.Source,
            };
        }
        catch (Errors.LonghornBackupException e)
        {
            return new TargetDescription { AccountName = settings?.AccountName, Container = location.Container, ServiceEndpoint = settings?.EndpointUrl, Problem = e.Message };
        }
    }

    public DismountResult Dismount(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) => DismountResult.Nothing;

    public IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement)
    {
        var old = target.GetSettings<AzureBlobTargetSettings>(KindName);
        if (old?.CredentialSecret is not { } reference) return Array.Empty<string>();
        if (replacement?.GetSettings<AzureBlobTargetSettings>(KindName)?.CredentialSecret?.File == reference.File) return Array.Empty<string>();
        return AzureBlobSecretFile.RemoveIfCreatedByModule(old) ? new[] { $"Removed {reference.File}, which held the target's keys." } : Array.Empty<string>();
    }

    public Task<bool> IsAvailableAsync(TargetUrl url, BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct) =>
        QuickListing.SucceedsAsync(this, url, target, timeout, options, ct);
}
