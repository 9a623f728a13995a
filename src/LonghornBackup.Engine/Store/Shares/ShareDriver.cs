using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// What the NFS and CIFS drivers share: a share URL is found in the mount table or mounted as Longhorn mounts it
/// (<see cref="ShareMounter"/>), and from then on the store is the folder it shows, through the file-system store,
/// exactly as Longhorn's NFS and CIFS drivers hand over to its file-system operations.
/// </summary>
public abstract class ShareDriver : IStoreDriver
{
    protected ShareDriver(ShareProtocol protocol) => Protocol = protocol;

    public ShareProtocol Protocol { get; }
    public abstract string Kind { get; }
    public abstract IReadOnlyList<string> Schemes { get; }
    public abstract string UrlForms { get; }
    public int? DefaultConcurrency => null;
    public IReadOnlyCollection<string> ManifestOptions { get; } = Array.Empty<string>();

    public TargetUrl Parse(string url, string scheme, string rest)
    {
        var location = ShareUrlParser.Parse(Protocol, url, rest);
        return new TargetUrl(this, location.Canonical, location);
    }

    public abstract object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings);
    public abstract string? CheckSecretKeys(SecretManifest secret);

    /// <summary>The credentials a mount would use (CIFS), or null; a half pair throws.</summary>
    protected abstract ShareCredentials? ResolveCredentials(BackupTargetDefinition? target, StoreOpenOptions options);

    public IObjectStore Open(TargetUrl url, BackupTargetDefinition? target, StoreOpenOptions options)
    {
        var location = (ShareLocation)url.Location!;
        string folder = ShareMounter.Attach(location, ResolveCredentials(target, options), options.Shares ?? ShareSystem.Current(), options.Report);
        if (!Directory.Exists(folder))
            throw new LonghornBackupException(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable,
                $"{location.Source} is mounted, but the folder {folder} does not exist or is not a folder.", url.Canonical,
                "Check the export's path in the target URL, and that the mount is healthy.");
        return new FileSystemStore(folder);
    }

    /// <summary>Available when the share is mounted now and its folder answers within the timeout; nothing is mounted for a listing.</summary>
    public async Task<bool> IsAvailableAsync(TargetUrl url, BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct)
    {
        var state = ShareMounter.Inspect((ShareLocation)url.Location!, options?.Shares ?? ShareSystem.Current());
        if (state.Folder is not { } folder) return false;
        // A hard-mounted export whose server is gone blocks the call that touches it: do not wait for it.
        var check = Task.Run(() => Directory.Exists(folder), ct);
        return await Task.WhenAny(check, Task.Delay(timeout, ct)).ConfigureAwait(false) == check && check.Result;
    }

    public TargetDescription Describe(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options)
    {
        var location = (ShareLocation)url.Location!;
        var state = ShareMounter.Inspect(location, options.Shares ?? ShareSystem.Current());
        string? keySource = null, problem = null;
        try { keySource = ResolveCredentials(target, options)?.Source; }
        catch (LonghornBackupException e) { problem = e.Message; }
        return new TargetDescription
        {
            Export = location.Source.Text,
            MountPoint = state.MountPoint,
            MountedBy = state.MountedBy.ToString(),
            MountOptions = state.Options ?? (state.MountedBy == ShareMountOwner.UncPath ? null : ShareMounter.Attempts(location, null, state.MountPoint)[0].Arguments[3]),
            KeySource = keySource,
            Problem = problem,
        };
    }

    /// <summary>Shares whose kind stores no credentials have none to forget (CIFS overrides this).</summary>
    public virtual IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement) => Array.Empty<string>();

    public DismountResult Dismount(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) =>
        ShareMounter.Detach((ShareLocation)url.Location!, options.Shares ?? ShareSystem.Current());
}
