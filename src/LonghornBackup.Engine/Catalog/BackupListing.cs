using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Catalog;

/// <summary>One backup found in a volume: its config, or the error that kept it from loading.</summary>
public sealed record BackupListing(string VolumeName, string BackupName, string Url, BackupConfig? Config, LonghornBackupException? Error);

/// <summary>One volume found on a target: its volume.cfg (null when missing) and its backups' names.</summary>
public sealed record VolumeListing(string VolumeName, string Url, VolumeConfig? Config, IReadOnlyList<string> BackupNames, LonghornBackupException? Error);

public static class BackupstoreQueries
{
    /// <summary>Loads a volume's backups in <see cref="BackupOrder"/>; a cfg that cannot be read is reported in its listing, not thrown.</summary>
    public static async Task<IReadOnlyList<BackupListing>> ListBackupsAsync(this Backupstore store, string volumeName,
        Func<string, bool>? nameFilter, CancellationToken ct)
    {
        var result = new List<BackupListing>();
        foreach (var name in await store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false))
        {
            if (nameFilter is not null && !nameFilter(name)) continue;
            string url = store.BackupUrl(volumeName, name);
            try
            {
                var cfg = await store.LoadBackupAsync(volumeName, name, ct).ConfigureAwait(false);
                if (cfg is not null) result.Add(new BackupListing(volumeName, name, url, cfg, null));
            }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
            {
                result.Add(new BackupListing(volumeName, name, url, null, e));
            }
        }
        return await BackupOrder.OldestFirstAsync(store, result, b => (b.VolumeName, b.BackupName, b.Config), ct).ConfigureAwait(false);
    }

    public static async Task<VolumeListing> DescribeVolumeAsync(this Backupstore store, string volumeName, CancellationToken ct)
    {
        string url = store.Url.VolumeUrl(volumeName);
        var names = await store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false);
        try
        {
            var cfg = await store.LoadVolumeAsync(volumeName, ct).ConfigureAwait(false);
            var error = cfg is null
                ? new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                    $"The backup volume '{volumeName}' has no volume.cfg.", volumeName)
                : null;
            return new VolumeListing(volumeName, url, cfg, names, error);
        }
        catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
        {
            return new VolumeListing(volumeName, url, null, names, e);
        }
    }
}
