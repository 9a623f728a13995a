using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Catalog;

/// <summary>
/// Longhorn's backupstore layout over an <see cref="IObjectStore"/>: finds, loads and saves volume.cfg and backup
/// cfgs, and lists a volume's block pool. Listing rules follow backupstore's ExtractNames (docs/backupstore-format.md §1), so temp files
/// and strays are ignored.
/// </summary>
public sealed class Backupstore : IDisposable
{
    public Backupstore(IObjectStore store, TargetUrl url) : this(store, url, url.LocalPath ?? (store as FileSystemStore)?.RootPath) { }

    private Backupstore(IObjectStore store, TargetUrl url, string? localRoot)
    {
        Store = store;
        Url = url;
        LocalRoot = localRoot;
    }

    public IObjectStore Store { get; }
    public TargetUrl Url { get; }

    /// <summary>The folder of this machine that holds the store (a plain path, or where an nfs:// or cifs:// export is mounted); null for object stores.</summary>
    public string? LocalRoot { get; }

    /// <summary>Small objects (cfgs) read at once when many are needed: the driver's concurrency, else one per core.</summary>
    public int ReadParallelism => Url.Driver.DefaultConcurrency ?? Environment.ProcessorCount;

    /// <summary>Opens the store of a named target with its saved settings.</summary>
    public static Backupstore Open(BackupTargetDefinition target, StoreOpenOptions? options = null) =>
        Open(TargetUrl.Parse(target.Url), target, options);

    /// <summary>
    /// Opens the store behind a target URL with its driver, which resolves the target's settings and credentials now;
    /// a network store's reachability shows on first use.
    /// </summary>
    public static Backupstore Open(TargetUrl url, BackupTargetDefinition? target = null, StoreOpenOptions? options = null) =>
        new(url.Driver.Open(url, target, options ?? StoreOpenOptions.Default), url);

    /// <summary>Releases the driver's connections (HTTP clients); file-system stores hold nothing.</summary>
    public void Dispose() => (Store as IDisposable)?.Dispose();

    /// <summary>
    /// The same store with its object reads and writes held to <paramref name="bucket"/>'s rate; disposing the result
    /// leaves this store open (whoever opened it closes it).
    /// </summary>
    public Backupstore Throttled(Pipeline.TokenBucket bucket) => new(new ThrottledStore(Store, bucket), Url, LocalRoot);

    /// <summary>Names found at the third level of volumes/ (two hash levels, then the names).</summary>
    public async Task<IReadOnlyList<string>> ListVolumeNamesAsync(CancellationToken ct)
    {
        var names = new List<string>();
        foreach (var l1 in await Store.ListAsync(StorePaths.VolumesDir, ct).ConfigureAwait(false))
        {
            if (!l1.IsDirectory) continue;
            foreach (var l2 in await Store.ListAsync($"{StorePaths.VolumesDir}/{l1.Name}", ct).ConfigureAwait(false))
            {
                if (!l2.IsDirectory) continue;
                foreach (var v in await Store.ListAsync($"{StorePaths.VolumesDir}/{l1.Name}/{l2.Name}", ct).ConfigureAwait(false))
                    if (v.IsDirectory && NameRules.IsValidStoreName(v.Name)) names.Add(v.Name);
            }
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public async Task<VolumeConfig?> LoadVolumeAsync(string volumeName, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        string key = StorePaths.VolumeConfig(volumeName);
        var bytes = await Store.ReadAsync(key, ct).ConfigureAwait(false);
        return bytes is null ? null : VolumeConfig.Parse(bytes, key);
    }

    public async Task<VolumeConfig> GetVolumeAsync(string volumeName, CancellationToken ct) =>
        await LoadVolumeAsync(volumeName, ct).ConfigureAwait(false)
        ?? throw new LonghornBackupException(ErrorIds.BackupVolumeNotFound, ErrorKind.NotFound,
            $"The backup volume '{volumeName}' does not exist on the backup target {Url}.", volumeName,
            "List the volumes with Get-LhBackupVolume.");

    public Task SaveVolumeAsync(VolumeConfig volume, CancellationToken ct) =>
        Store.WriteAsync(StorePaths.VolumeConfig(volume.Name), volume.ToJson(), ct);

    public async Task<IReadOnlyList<string>> ListBackupNamesAsync(string volumeName, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        var names = new List<string>();
        foreach (var e in await Store.ListAsync(StorePaths.BackupsDir(volumeName), ct).ConfigureAwait(false))
            if (!e.IsDirectory && StorePaths.BackupNameFromFile(e.Name) is { } name) names.Add(name);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public async Task<BackupConfig?> LoadBackupAsync(string volumeName, string backupName, CancellationToken ct)
    {
        NameRules.ValidateVolumeNameForRead(volumeName);
        NameRules.ValidateBackupName(backupName);
        string key = StorePaths.BackupConfig(volumeName, backupName);
        var bytes = await Store.ReadAsync(key, ct).ConfigureAwait(false);
        return bytes is null ? null : BackupConfig.Parse(bytes, key);
    }

    public async Task<BackupConfig> GetBackupAsync(string volumeName, string backupName, CancellationToken ct) =>
        await LoadBackupAsync(volumeName, backupName, ct).ConfigureAwait(false)
        ?? throw new LonghornBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
            $"The backup '{backupName}' of volume '{volumeName}' does not exist on the backup target {Url}.", backupName,
            $"List the backups with Get-LhBackup -VolumeName {volumeName}.");

    public Task SaveBackupAsync(BackupConfig backup, CancellationToken ct) =>
        Store.WriteAsync(StorePaths.BackupConfig(backup.VolumeName, backup.Name), backup.ToJson(), ct);

    /// <summary>Checksums of every block file in the volume's pool (blocks/xx/yy/&lt;checksum&gt;.blk), from one tree listing.</summary>
    public async Task<HashSet<string>> ListBlockChecksumsAsync(string volumeName, CancellationToken ct)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (rel, _) in Store.ListTreeAsync(StorePaths.BlocksDir(volumeName), ct).ConfigureAwait(false))
            if (BlockChecksumOf(rel) is { } checksum) set.Add(checksum);
        return set;
    }

    /// <summary>Every block file of the volume's pool with its stored size in bytes, from the same one tree listing.</summary>
    public async Task<Dictionary<string, long>> ListBlockSizesAsync(string volumeName, CancellationToken ct)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var (rel, size) in Store.ListTreeAsync(StorePaths.BlocksDir(volumeName), ct).ConfigureAwait(false))
            if (BlockChecksumOf(rel) is { } checksum) sizes[checksum] = size;
        return sizes;
    }

    /// <summary>The checksum of a key below blocks/ when it is a block file in its place (xx/yy/&lt;checksum&gt;.blk), else null.</summary>
    private static string? BlockChecksumOf(string relative)
    {
        var parts = relative.Split('/');
        if (parts.Length != 3) return null;
        return StorePaths.ChecksumFromBlockFile(parts[2]) is { } checksum && Checksum.IsValid(checksum)
               && parts[0] == checksum[..2] && parts[1] == checksum[2..4] ? checksum : null;
    }

    public string BackupUrl(string volumeName, string backupName) => Url.BackupUrl(volumeName, backupName);
}
