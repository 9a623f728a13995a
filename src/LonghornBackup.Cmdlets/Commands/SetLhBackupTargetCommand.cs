using System.Management.Automation;
using System.Net;
using System.Security;
using ManifestKinds = LonghornBackup.Engine.Manifests.ManifestKinds;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;
using LonghornBackup.Hosting;

namespace LonghornBackup.Commands;

/// <summary>
/// Sets a named backup target for the current user, or changes one: a folder, an S3 bucket, an Azure Blob container, an
/// NFS export or a CIFS share, with its endpoint, addressing and credentials. On a target that exists, only what is
/// given changes (the URL may be left out); everything else, stored keys included, stays until -Clear removes it. The
/// rules are the engine's (TargetChanges, and each kind's ITargetSettingsEditor); this cmdlet only gathers what was
/// given. Keys given here are stored as an AWS credentials profile, or in an owner-only Secret file; targets.json keeps
/// only where. With -Manifest, Longhorn BackupTarget manifests are applied instead; a Kubernetes Secret manifest named
/// by spec.credentialSecret is referenced (its name and file), never copied, and read again whenever the target is used.
/// </summary>
[Cmdlet(VerbsCommon.Set, "LhBackupTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NoKeys)]
[OutputType(typeof(BackupTarget))]
public sealed class SetLhBackupTargetCommand : LhCmdlet
{
    private const string NoKeys = "NoKeys", Keys = "Keys", WithCredential = "Credential", FromManifest = "Manifest";

    /// <summary>
    /// A path, vfs:///path, file:///path, s3://bucket@region/prefix/, s3://bucket/prefix/, azblob://container@suffix/prefix/,
    /// azblob://container/prefix/, nfs://server:/export[?nfsOptions=a,b] or cifs://server/share/path[?cifsOptions=a,b].
    /// Needed for a new target; on an existing one, left out keeps its URL.
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NoKeys)]
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = Keys)]
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = WithCredential)]
    [Alias("BackupTargetURL")]
    public string? Url { get; set; }

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
    [ValidateRangeOrNull(1, 256)]
    public int? MaxConcurrentUploads { get; set; }

    /// <summary>Bandwidth limit, in bytes per second, of backups, restores and deep checks on this target (e.g. 50MB); their -MaxBytesPerSecond overrides it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRangeOrNull(1L, long.MaxValue)]
    public long? MaxBytesPerSecond { get; set; }

    /// <summary>
    /// The retention policy kept with the target, as Remove-LhBackup's rules: @{ KeepDaily = 7; KeepWeekly = 4;
    /// KeepWithin = '30d'; Label = @{...}; GroupByLabel = '...'; Utc = $true }. Remove-LhBackup -UseTargetPolicy applies it.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? RetentionPolicy { get; set; }

    /// <summary>
    /// Settings of an existing target to remove (the others stay): MaxConcurrentUploads, MaxBytesPerSecond,
    /// RetentionPolicy, PollInterval, and per kind EndpointUrl, Region, ForcePathStyle, CACertificatePath, AccountName,
    /// Credential (the keys the target uses; copies the module stored are deleted).
    /// </summary>
    [Parameter(ParameterSetName = NoKeys)]
    [Parameter(ParameterSetName = Keys)]
    [Parameter(ParameterSetName = WithCredential)]
    [ValidateSet(TargetChanges.MaxConcurrentUploads, TargetChanges.MaxBytesPerSecond, TargetChanges.RetentionPolicy, TargetChanges.PollInterval,
        TargetOptions.EndpointUrl, TargetOptions.Region, TargetOptions.ForcePathStyle, TargetOptions.CACertificatePath, TargetOptions.AccountName,
        TargetOptions.Credential, IgnoreCase = true)]
    public string[]? Clear { get; set; }

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

    /// <summary>The store options a kind's driver reads (TargetOptions names); the common settings are read here.</summary>
    private static readonly string[] StoreOptions =
    {
        nameof(EndpointUrl), nameof(Region), nameof(ForcePathStyle), nameof(AccessKey), nameof(SecretKey), nameof(SessionToken),
        nameof(Credential), nameof(ProfileName), nameof(ProfileLocation), nameof(CACertificatePath), nameof(AccountName),
        nameof(AccountKey), nameof(SasToken),
    };

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
            var saved = Registry.Find(Name);
            var plan = TargetChanges.Plan(saved, new TargetChangeRequest
            {
                Name = Name,
                Url = ParsedUrl(),
                MaxConcurrentUploads = MaxConcurrentUploads,
                MaxBytesPerSecond = MaxBytesPerSecond,
                RetentionPolicy = Rules(),
                Options = new TargetOptions(GivenStoreOptions(), (Clear ?? Array.Empty<string>()).Select(c => c.Trim())),
                ConfigDirectory = Registry.ConfigDirectory,
            });
            foreach (var warning in plan.Warnings) WriteWarning(warning);
            string action = saved is null ? "Set backup target" : $"Change backup target ({(plan.Changes.Count == 0 ? "nothing given" : string.Join(", ", plan.Changes))})";
            if (plan.Credentials is { } keys) action += " and " + keys.Description;
            if (!ShouldProcess($"{Name} -> {plan.Url.Canonical}", action))
                return;

            if (plan.Credentials is { } pending) Say(pending.Store());
            Registry.Set(plan.Definition);
            Say(saved is null || plan.Changes.Count == 0
                ? $"Backup target '{Name}' is {plan.Url.Canonical} (saved in {Registry.FilePath})."
                : $"Backup target '{Name}' ({plan.Url.Canonical}): changed {string.Join(", ", plan.Changes)}; its other settings are kept (saved in {Registry.FilePath}).");
            ForgetReplacedCredentials(saved, plan.Definition, loud: plan.ChangesKind);

            bool available = plan.Url.LocalPath is not null || CheckReachable(plan.Definition);
            if (PassThru) WriteObject(TargetOutput.From(plan.Definition, Registry, available));
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
        }
    }

    /// <summary>The URL given, parsed; null when left out (or piped as null), which keeps the saved one.</summary>
    private TargetUrl? ParsedUrl()
    {
        if (Url is null) return null;
        string url = TargetUrl.CheckText(Url);   // before resolving: " " must not become the current folder
        // Relative plain paths are relative to PowerShell's location, not the process's working folder.
        if (!url.Contains("://", StringComparison.Ordinal)) url = ResolvePath(url);
        return TargetUrl.Parse(url);
    }

    /// <summary>
    /// The store options bound (by name or from a piped object), as the drivers read them: keys as plain text, the
    /// credential with its user name as typed, paths resolved against the PowerShell location. Nulls are left out.
    /// </summary>
    private IEnumerable<KeyValuePair<string, object?>> GivenStoreOptions()
    {
        foreach (string name in StoreOptions)
        {
            if (!MyInvocation.BoundParameters.TryGetValue(name, out var value) || value is null) continue;
            object? given = value switch
            {
                SecureString secure => SecureStringArgumentAttribute.Plain(secure),
                PSCredential credential => new NetworkCredential(credential.UserName, credential.GetNetworkCredential().Password),
                SwitchParameter flag => flag.IsPresent,
                string path when name is nameof(CACertificatePath) or nameof(ProfileLocation) => string.IsNullOrWhiteSpace(path) ? null : ResolvePath(path.Trim()),
                _ => value,
            };
            yield return new(name, given);
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
                definition = TargetChanges.KeepModuleSettings(definition, previous);
                Registry.Set(definition);
                Say($"Backup target '{definition.Name}' is {definition.Url}{credentials} (saved in {Registry.FilePath}; the Secret is read from its file at each use).");
                ForgetReplacedCredentials(previous, definition, loud: previous is not null && StoreDrivers.ForUrlText(previous.Url)?.Kind != p.Url.Kind);
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

    /// <summary>
    /// Keys this module stored for the target before (an AWS profile, a Secret file) are removed when the new definition
    /// no longer uses them: new keys replaced them, -Clear Credential dropped them, or the target changed kind (then
    /// as a warning, since no key was given).
    /// </summary>
    private void ForgetReplacedCredentials(BackupTargetDefinition? previous, BackupTargetDefinition now, bool loud)
    {
        if (previous is null) return;
        TargetUrl url;
        try { url = TargetUrl.Parse(previous.Url); }
        catch (LonghornBackupException) { return; }   // a URL this version cannot read: nothing of ours to remove
        foreach (var removed in url.Driver.ForgetStoredCredentials(previous, now))
        {
            if (loud) WriteWarning(removed);
            else Say(removed);
        }
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
