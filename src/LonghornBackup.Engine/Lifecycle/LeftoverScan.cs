using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// What the leftover kinds look at in one backup volume: the store, the age limits, "now" (on the store's clock under
/// the lock, on ours without it), the lock of the scanning operation itself (never a leftover), and listings of the
/// volume's folder shared by the kinds.
/// </summary>
public sealed class LeftoverScan
{
    private readonly Dictionary<string, IReadOnlyList<StoredObject>> _listed = new(StringComparer.Ordinal);

    public LeftoverScan(Backupstore store, string volumeName, LeftoverCleanup cleanup, TimeSpan lockExpiry, DateTimeOffset now,
        string? ownLockKey)
    {
        Store = store;
        VolumeName = volumeName;
        OlderThan = cleanup.InProgressOlderThan;
        LockExpiry = lockExpiry;
        Now = now;
        OwnLockKey = ownLockKey;
    }

    public Backupstore Store { get; }
    public string VolumeName { get; }
    public string VolumeDir => StorePaths.VolumeDir(VolumeName);

    /// <summary>An in-progress backup or a temporary file older than this belongs to a run that died.</summary>
    public TimeSpan OlderThan { get; }

    /// <summary>A lock file older than this (Longhorn's lease) is held by nobody.</summary>
    public TimeSpan LockExpiry { get; }

    public DateTimeOffset Now { get; }
    public string? OwnLockKey { get; }

    public TimeSpan AgeOf(DateTimeOffset written) => Now - written;

    /// <summary>
    /// The objects below the volume's folder, or below one of its folders ("backups"), with keys relative to the
    /// volume's folder and their sizes: one listing per folder for all kinds, none for a folder once the whole volume
    /// was listed.
    /// </summary>
    public async Task<IReadOnlyList<StoredObject>> ListAsync(string folder, CancellationToken ct)
    {
        if (_listed.TryGetValue(folder, out var cached)) return cached;
        if (folder.Length > 0 && _listed.TryGetValue("", out var whole))
            return _listed[folder] = whole.Where(o => o.Key.StartsWith(folder + "/", StringComparison.Ordinal)).ToList();
        string prefix = folder.Length == 0 ? "" : folder + "/";
        var objects = new List<StoredObject>();
        await foreach (var o in Store.Store.ListTreeAsync(folder.Length == 0 ? VolumeDir : $"{VolumeDir}/{folder}", ct).ConfigureAwait(false))
            objects.Add(o with { Key = prefix + o.Key });
        return _listed[folder] = objects;
    }
}
