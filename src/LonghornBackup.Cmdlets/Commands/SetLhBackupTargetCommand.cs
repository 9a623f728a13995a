using System.Management.Automation;
using System.Security;
using ManifestKinds = LonghornBackup.Engine.Manifests.ManifestKinds;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Cifs;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Sets (adds or replaces) a named backup target for the current user: a folder, or an S3 bucket and prefix with
/// its endpoint, addressing and credentials. Keys given here are stored as an AWS credentials profile (the SDK's
/// encrypted store on Windows, the shared credentials file elsewhere); targets.json keeps only the profile's name.
/// With -Manifest, Longhorn BackupTarget manifests are applied instead; a Kubernetes Secret manifest named by
/// spec.credentialSecret is referenced (its name and file), never copied, and read again whenever the target is used.
/// </summary>
[Cmdlet(VerbsCommon.Set, "LhBackupTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NoKeys)]
[OutputType(typeof(BackupTarget))]
public sealed partial class SetLhBackupTargetCommand : LhCmdlet
{
    private const string NoKeys = "NoKeys", Keys = "Keys", WithCredential = "Credential", FromManifest = "Manifest";

    /// <summary>
    /// A path, vfs:///path, file:///path, s3://bucket@region/prefix/, s3://bucket/prefix/, azblob://container@suffix/prefix/,
    /// azblob://container/prefix/, nfs://server:/export[?nfsOptions=a,b] or cifs://server/share/path[?cifsOptions=a,b].
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NoKeys)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = Keys)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = WithCredential)]
    [Alias("BackupTargetURL")]
    public string Url { get; set; } = "";

    /// <summary>
    /// Longhorn BackupTarget manifest files (YAML; several documents separated by ---, and the Secrets they name may
    /// be in the same stream). metadata.name is the target's name, spec.backupTargetURL its URL.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = FromManifest)]
    [ValidateNotNullOrEmpty]
    public string[] Manifest { get; set; } = Array.Empty<string>();

    /// <summary>Kubernetes Secret manifest files holding the credentials spec.credentialSecret names; only referenced.</summary>
    [Parameter(ParameterSetName = FromManifest)]
    [ValidateNotNullOrEmpty]
    public string[]? SecretManifest { get; set; }

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.TargetNameCompleter))]
    public string Name { get; set; } = TargetRegistry.DefaultName;

    /// <summary>S3: a custom endpoint (MinIO, Ceph RGW, ...), e.g. https://minio.example:9000. Default: AWS, or AWS_ENDPOINTS at use time.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? EndpointUrl { get; set; }

    /// <summary>S3: the region when the URL names none (s3://bucket/prefix/). Default: AWS_REGION at use time, else us-east-1.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Region { get; set; }

    /// <summary>S3: path-style addressing (-ForcePathStyle) or virtual-hosted (-ForcePathStyle:$false). Default: path-style with an endpoint.</summary>
    [Parameter]
    public SwitchParameter ForcePathStyle { get; set; }

    /// <summary>S3: access key id; stored with -SecretKey as an AWS credentials profile.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Keys)]
    public string? AccessKey { get; set; }

    /// <summary>S3: secret access key (a SecureString or a string); never written to targets.json.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Keys)]
    [SecureStringArgument]
    public SecureString? SecretKey { get; set; }

    /// <summary>S3: session token of temporary credentials.</summary>
    [Parameter(ParameterSetName = Keys)]
    [Parameter(ParameterSetName = WithCredential)]
    [SecureStringArgument]
    public SecureString? SessionToken { get; set; }

    /// <summary>
    /// S3: the keys as a PSCredential (user name = access key id, password = secret access key). Azure Blob: account
    /// and key. CIFS: the share's user name and password, stored as CIFS_USERNAME/CIFS_PASSWORD in a Secret file
    /// readable by you only.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = WithCredential)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>
    /// S3: an AWS credentials profile to use (it must exist), or, with -AccessKey/-Credential, the name to store the
    /// keys under (default LonghornBackup-&lt;Name&gt;).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = NoKeys)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Keys)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = WithCredential)]
    public string? ProfileName { get; set; }

    /// <summary>S3: the shared credentials file that holds the profile. Default: the AWS SDK's stores.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = NoKeys)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Keys)]
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = WithCredential)]
    public string? ProfileLocation { get; set; }

    /// <summary>S3: a PEM file of extra trusted CA certificates (a store with a private CA).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CACertificatePath { get; set; }

    /// <summary>Azure Blob: the storage account; with -AccountKey or -SasToken its keys are stored, alone it signs in with an Azure identity.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = NoKeys)]
    public string? AccountName { get; set; }

    /// <summary>Azure Blob: the account's shared key; stored in a Secret file readable by you only, never in targets.json.</summary>
    [Parameter(ParameterSetName = NoKeys)]
    [SecureStringArgument]
    public SecureString? AccountKey { get; set; }

    /// <summary>Azure Blob: a shared access signature for the container, instead of the account key; stored as -AccountKey is.</summary>
    [Parameter(ParameterSetName = NoKeys)]
    [SecureStringArgument]
    public SecureString? SasToken { get; set; }

    /// <summary>Blocks a backup to this target uploads at once (New-LhBackup -Concurrency overrides). Default: 8 for S3.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 256)]
    public int? MaxConcurrentUploads { get; set; }

    /// <summary>Bandwidth limit, in bytes per second, of backups, restores and deep checks on this target (e.g. 50MB); their -MaxBytesPerSecond overrides it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, long.MaxValue)]
    public long? MaxBytesPerSecond { get; set; }

    /// <summary>
    /// The retention policy kept with the target, as Remove-LhBackup's rules: @{ KeepDaily = 7; KeepWeekly = 4;
    /// KeepWithin = '30d'; Label = @{...}; GroupByLabel = '...'; Utc = $true }. Remove-LhBackup -UseTargetPolicy applies it.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? RetentionPolicy { get; set; }

    /// <summary>
    /// Fields the BackupTarget CRD or a Secret does not have (a typo such as spec.credentialsSecret), as kubectl's
    /// --validate: Strict (default) refuses the input with InvalidManifest, Warn applies it without them and warns,
    /// Ignore applies it silently.
    /// </summary>
    [Parameter(ParameterSetName = FromManifest)]
    [ValidateSet(nameof(ManifestValidation.Strict), nameof(ManifestValidation.Warn), nameof(ManifestValidation.Ignore), IgnoreCase = true)]
    public string Validation { get; set; } = nameof(ManifestValidation.Strict);

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private static readonly string[] S3Parameters =
        { nameof(EndpointUrl), nameof(Region), nameof(ForcePathStyle), nameof(AccessKey), nameof(SecretKey), nameof(SessionToken),
          nameof(Credential), nameof(ProfileName), nameof(ProfileLocation), nameof(CACertificatePath) };

    private static readonly string[] AzureBlobParameters =
        { nameof(EndpointUrl), nameof(CACertificatePath), nameof(Credential), nameof(AccountName), nameof(AccountKey), nameof(SasToken) };

    private static readonly string[] CifsParameters = { nameof(Credential) };

    /// <summary>Refuses a store option the target's kind does not take, naming the kinds that do.</summary>
    private void CheckOptionsApply(TargetUrl url, string[] applicable)
    {
        var misplaced = S3Parameters.Concat(AzureBlobParameters).Concat(CifsParameters).Except(applicable).FirstOrDefault(MyInvocation.BoundParameters.ContainsKey);
        if (misplaced is null) return;
        string takers = string.Join(", ", new[] { (S3Driver.KindName, S3Parameters), ("AzureBlob", AzureBlobParameters), (CifsDriver.KindName, CifsParameters) }
            .Where(k => k.Item2.Contains(misplaced)).Select(k => k.Item1));
        throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
            $"-{misplaced} applies to {takers} targets only; '{url.Canonical}' is {(url.LocalPath is null ? $"a {url.Kind} target" : "a folder")}.", misplaced);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == FromManifest)
        {
            ApplyManifests();
            return;
        }
        try
        {
            TargetRegistry.ValidateName(Name);
            string url = TargetUrl.CheckText(Url);   // before resolving: " " must not become the current folder
            // Relative plain paths are relative to PowerShell's location, not the process's working folder.
            if (!url.Contains("://", StringComparison.Ordinal)) url = ResolvePath(url);
            var parsed = TargetUrl.Parse(url);
            S3TargetSettings? settings = null;
            (string AccessKey, string SecretKey, string? Token)? keys = null;
            object? driverSettings;
#if NET
            (string Account, string? Key, string? Sas)? azureKeys = null;
#endif
            if (parsed.Driver is S3Driver)
            {
                CheckOptionsApply(parsed, S3Parameters);
                (settings, keys) = BuildS3Settings(parsed);
                driverSettings = settings;
            }
#if NET
            else if (parsed.Driver is Engine.Store.AzureBlob.AzureBlobDriver)
            {
                CheckOptionsApply(parsed, AzureBlobParameters);
                (var azureSettings, azureKeys) = BuildAzureBlobSettings(parsed);
                driverSettings = azureSettings;
            }
#endif
            else if (parsed.Driver is CifsDriver)
            {
                CheckOptionsApply(parsed, CifsParameters);
                driverSettings = parsed.Driver.PlanSettings(parsed, new TargetSettingsInput { Name = Name }, null);
            }
            else
            {
                CheckOptionsApply(parsed, Array.Empty<string>());
                driverSettings = parsed.Driver.PlanSettings(parsed, new TargetSettingsInput { Name = Name }, null);
            }

            var definition = new BackupTargetDefinition(Name, parsed.Canonical, DateTimeOffset.UtcNow) { MaxConcurrentUploads = MaxConcurrentUploads, MaxBytesPerSecond = MaxBytesPerSecond, RetentionPolicy = Rules() }
                .WithSettings(parsed.Kind, driverSettings);
            string action = keys is null ? "Set backup target" : $"Set backup target and store its keys as AWS credentials profile '{settings!.ProfileName}'";
#if NET
            if (azureKeys is not null) action = "Set backup target and store its keys in a Secret file readable by you only";
#endif
            if (!ShouldProcess($"{Name} -> {parsed.Canonical}", action))
                return;

            var previous = Registry.Find(Name);
            if (keys is { } k)
            {
                string where = S3CredentialProfiles.Store(settings!.ProfileName!, settings.ProfileLocation, k.AccessKey, k.SecretKey, k.Token);
                Say($"Stored the keys as AWS credentials profile '{settings.ProfileName}' in {where}.");
            }
#if NET
            if (azureKeys is { } az && driverSettings is Engine.Store.AzureBlob.AzureBlobTargetSettings azureSettingsToStore)
                definition = definition.WithSettings(parsed.Kind, StoreAzureBlobKeys(azureSettingsToStore, az));
#endif
            if (parsed.Driver is CifsDriver && Credential is not null)
            {
                var reference = CifsSecretFile.Write(Registry.ConfigDirectory, Name, Credential.UserName, Credential.GetNetworkCredential().Password);
                Say($"Stored the CIFS credentials of user '{Credential.UserName}' in {reference.File} (readable by you only).");
                definition = definition.WithSettings(parsed.Kind, new CifsTargetSettings { CredentialSecret = reference, SecretCreatedByModule = true });
            }
            Registry.Set(definition);
            Say($"Backup target '{Name}' is {parsed.Canonical} (saved in {Registry.FilePath}).");
            ForgetReplacedCredentials(previous, definition);

            bool available = parsed.LocalPath is not null || CheckReachable(definition);
            if (PassThru) WriteObject(TargetOutput.From(definition, Registry, available));
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
        }
    }

    /// <summary>
    /// Parses every document, checks every target and Secret, then saves each target: nothing is saved when any
    /// document is invalid. A Secret is kept as a reference (its name and the absolute path of its file).
    /// </summary>
    private void ApplyManifests()
    {
        try
        {
            var manifestFiles = Manifest.Select(ResolvePath).Distinct(StringComparer.Ordinal).ToList();
            // A file given to both parameters is read once, as a -Manifest file (targets and Secrets).
            var secretFiles = (SecretManifest ?? Array.Empty<string>()).Select(ResolvePath).Distinct(StringComparer.Ordinal)
                .Where(f => !manifestFiles.Contains(f, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
            var sources = manifestFiles.Concat(secretFiles).Select(ManifestSource.FromFile).ToList();
            var set = ManifestParser.Parse(sources,
                source => secretFiles.Contains(source.Name) ? ManifestKinds.Secret : ManifestKinds.BackupTarget | ManifestKinds.Secret,
                ManifestValidationArgument.Parse(Validation));
            foreach (var warning in set.Warnings) WriteWarning(warning.ToString());
            var planWarnings = new List<string>();
            var plan = BackupTargetManifestPlanner.Plan(set, sources, ManifestOverrides(), ResolvePath, planWarnings);
            foreach (var warning in planWarnings) WriteWarning(warning);

            foreach (var p in plan)
            {
                var definition = p.Definition;
                string credentials = definition.S3()?.CredentialSecret is { } secret ? $" with the credentials of {secret}" : "";
                if (!ShouldProcess($"{definition.Name} -> {definition.Url} ({p.Manifest.Location})", $"Set backup target{credentials}")) continue;
                var previous = Registry.Find(definition.Name);
                Registry.Set(definition);
                Say($"Backup target '{definition.Name}' is {definition.Url}{credentials} (saved in {Registry.FilePath}; the Secret is read from its file at each use).");
                ForgetReplacedCredentials(previous, definition);
                bool available = p.Url.LocalPath is not null || CheckReachable(definition);
                if (PassThru) WriteObject(TargetOutput.From(definition, Registry, available));
            }
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
        }
    }

    private BackupTargetManifestOverrides ManifestOverrides() => new()
    {
        Name = MyInvocation.BoundParameters.ContainsKey(nameof(Name)) ? Name : null,
        EndpointUrl = string.IsNullOrWhiteSpace(EndpointUrl) ? null : EndpointUrl.Trim(),
        Region = string.IsNullOrWhiteSpace(Region) ? null : Region.Trim(),
        ForcePathStyle = MyInvocation.BoundParameters.ContainsKey(nameof(ForcePathStyle)) ? ForcePathStyle.IsPresent : null,
        CACertificatePath = CACertificatePath is null ? null : ResolvePath(CACertificatePath),
        MaxConcurrentUploads = MaxConcurrentUploads,
        MaxBytesPerSecond = MaxBytesPerSecond,
        RetentionPolicy = Rules(),
    };

    /// <summary>-RetentionPolicy checked and in its saved form; null when none was given.</summary>
    private Engine.Lifecycle.RetentionRules? Rules() => RetentionPolicy is null ? null : RetentionArguments.ToRules(RetentionPolicy);

    private (S3TargetSettings Settings, (string, string, string?)? Keys) BuildS3Settings(TargetUrl url)
    {
        (string, string, string?)? keys = null;
        string? token = SessionToken is null ? null : SecureStringArgumentAttribute.Plain(SessionToken);
        if (ParameterSetName == Keys)
            keys = (AccessKey!, SecureStringArgumentAttribute.Plain(SecretKey!), token);
        else if (ParameterSetName == WithCredential)
            keys = (Credential!.UserName, Credential.GetNetworkCredential().Password, token);
        if (keys is { } k && (string.IsNullOrWhiteSpace(k.Item1) || string.IsNullOrEmpty(k.Item2)))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                "Both an access key and a secret key are needed.", Name,
                "Give -AccessKey and -SecretKey, or -Credential with the access key as user name and the secret key as password.");

        string? profileName = string.IsNullOrWhiteSpace(ProfileName) ? null : ProfileName.Trim();
        bool createdByModule = false;
        if (keys is not null && profileName is null)
        {
            profileName = S3CredentialProfiles.DefaultProfileName(Name);
            createdByModule = true;
        }
        string? profileLocation = ProfileLocation is null ? null : ResolvePath(ProfileLocation);
        var settings = new S3TargetSettings
        {
            EndpointUrl = string.IsNullOrWhiteSpace(EndpointUrl) ? null : EndpointUrl.Trim(),
            Region = string.IsNullOrWhiteSpace(Region) ? null : Region.Trim(),
            ForcePathStyle = MyInvocation.BoundParameters.ContainsKey(nameof(ForcePathStyle)) ? ForcePathStyle.IsPresent : null,
            CACertificatePath = CACertificatePath is null ? null : ResolvePath(CACertificatePath),
            CredentialSource = profileName is null ? CredentialSource.Default : CredentialSource.Profile,
            ProfileName = profileName,
            ProfileLocation = profileName is null ? null : profileLocation,
            ProfileCreatedByModule = createdByModule,
        };
        S3Settings.Validate(settings);
        if (keys is null && profileName is not null && !S3CredentialProfiles.Exists(profileName, settings.ProfileLocation))
            throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                $"The AWS credentials profile '{profileName}' was not found in {(settings.ProfileLocation is null ? "the AWS credential stores" : $"'{settings.ProfileLocation}'")}.",
                profileName, "Create the profile first (Set-AWSCredential -StoreAs, aws configure --profile), or give the keys with -AccessKey/-SecretKey or -Credential.");
        if (url.Location is S3Location { Region: { } urlRegion } && settings.Region is not null && urlRegion != settings.Region)
            WriteWarning($"The URL names region '{urlRegion}'; -Region '{settings.Region}' is ignored.");
        return (settings, keys);
    }

    /// <summary>Keys this module stored for the target before (an AWS profile, a Secret file) are removed when the new definition no longer uses them.</summary>
    private void ForgetReplacedCredentials(BackupTargetDefinition? previous, BackupTargetDefinition now)
    {
        if (previous is null) return;
        TargetUrl url;
        try { url = TargetUrl.Parse(previous.Url); }
        catch (LonghornBackupException) { return; }   // a URL this version cannot read: nothing of ours to remove
        foreach (var removed in url.Driver.ForgetStoredCredentials(previous, now)) Say(removed);
    }

    /// <summary>Network targets are saved even when unreachable (the store may be down now); a quick check warns.</summary>
    private bool CheckReachable(BackupTargetDefinition definition)
    {
        var lines = new List<string>();
        var options = SavedTarget.Options(lines.Add, quickRequestTimeout: TimeSpan.FromSeconds(5));
        var result = RunQuick(ct => TargetProbe.TestAsync(definition, options, write: false, ct));
        foreach (var line in lines) Say(line);
        if (result.Problem is { } problem)
            WriteWarning($"The backup target '{definition.Name}' was saved, but cannot be used now: {problem.Message} {problem.RecommendedAction} (Test-LhBackupTarget -Name {definition.Name} checks it again.)");
        return result.Available;
    }
}
