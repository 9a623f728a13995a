using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Folder;

/// <summary>
/// Folders of this machine: a plain path, vfs:///path or file:///path (an NFS or CIFS export once the OS mounted it).
/// The root folder must exist, both to save a target and to open it: creating it would hide an export that is not
/// mounted, and backups would land on the local disk instead.
/// </summary>
public sealed class FolderDriver : IStoreDriver
{
    public static FolderDriver Instance { get; } = new();
    public const string KindName = "FileSystem";

    public string Kind => KindName;
    public IReadOnlyList<string> Schemes { get; } = new[] { "", "vfs", "file" };
    public string UrlForms => "a local or mounted path, vfs:///absolute/path, file:///absolute/path";
    public int? DefaultConcurrency => null;
    public IReadOnlyCollection<string> ManifestOptions { get; } = Array.Empty<string>();

    public TargetUrl Parse(string url, string scheme, string rest)
    {
        if (scheme.Length == 0)
        {
            if (url.Contains('?') || url.Contains('\0')) throw Invalid(url, "a path cannot contain '?'.");
            return FromPath(Path.GetFullPath(url));
        }
        if (rest.Contains('?')) throw Invalid(url, "file-system target URLs take no query.");
        if (!rest.StartsWith('/'))
            throw Invalid(url, $"{scheme}:// needs an absolute path and no host, as in {scheme}:///var/backups.");
        string path = Uri.UnescapeDataString(rest);
        if (OperatingSystem.IsWindows() && path.Length >= 3 && path[0] == '/' && path[2] == ':') path = path[1..];
        return FromPath(Path.GetFullPath(path));
    }

    private TargetUrl FromPath(string fullPath)
    {
        string trimmed = fullPath.Length > 1 ? fullPath.TrimEnd('/', '\\') : fullPath;
        if (trimmed.Length == 0) trimmed = fullPath;
        string forUrl = trimmed.Replace('\\', '/');
        if (!forUrl.StartsWith('/')) forUrl = "/" + forUrl;
        // Percent-encode each segment, so the URL parses back (here and in Go's url.Parse) to this very folder.
        forUrl = string.Join('/', forUrl.Split('/').Select(Uri.EscapeDataString));
        return new TargetUrl(this, "vfs://" + forUrl, localPath: trimmed);
    }

    public object? PlanSettings(TargetUrl url, TargetSettingsInput input, ICollection<string>? warnings)
    {
        if (!Directory.Exists(url.LocalPath))
            throw new LonghornBackupException(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable,
                input.UrlLocation is null
                    ? $"The backup target folder '{url.LocalPath}' does not exist."
                    : $"{input.UrlLocation}: the backup target folder '{url.LocalPath}' does not exist. Nothing was saved.",
                url.Canonical, "Create the folder (New-Item -ItemType Directory) or mount the export there first.");
        if (input.CredentialSecretName is { } unused)
            warnings?.Add($"{input.SecretLocation}: a folder target takes no credentials; the Secret '{unused}' is not used for target '{input.Name}'.");
        return null;
    }

    public string? CheckSecretKeys(SecretManifest secret) => null;

    public IObjectStore Open(TargetUrl url, BackupTargetDefinition? target, StoreOpenOptions options)
    {
        if (!Directory.Exists(url.LocalPath))
            throw new LonghornBackupException(ErrorIds.BackupTargetUnreachable, ErrorKind.ResourceUnavailable,
                $"The backup target folder '{url.LocalPath}' does not exist.", url.Canonical,
                "Create the folder or mount the export there, then try again.");
        return new FileSystemStore(url.LocalPath!);
    }

    public TargetDescription Describe(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) => TargetDescription.None;

    public DismountResult Dismount(TargetUrl url, BackupTargetDefinition target, StoreOpenOptions options) => DismountResult.Nothing;

    public IReadOnlyList<string> ForgetStoredCredentials(BackupTargetDefinition target, BackupTargetDefinition? replacement) => Array.Empty<string>();

    public Task<bool> IsAvailableAsync(TargetUrl url, BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct) =>
        Task.FromResult(Directory.Exists(url.LocalPath));

    private static LonghornBackupException Invalid(string url, string why) =>
        new(ErrorIds.InvalidBackupTargetUrl, ErrorKind.InvalidArgument, $"'{url}' is not a valid backup target URL: {why}", url,
            "Give a local or mounted path, vfs:///absolute/path or file:///absolute/path.");
}
