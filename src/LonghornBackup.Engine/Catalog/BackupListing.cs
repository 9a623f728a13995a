using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Catalog;

/// <summary>One backup found in a volume: its config (without its block map, see <see cref="BackupConfig.DropBlockMap"/>), or the error that kept it from loading.</summary>
public sealed record BackupListing(string VolumeName, string BackupName, string Url, BackupConfig? Config, LonghornBackupException? Error);

/// <summary>One volume found on a target: its volume.cfg (null when missing) and its backups' names.</summary>
public sealed record VolumeListing(string VolumeName, string Url, VolumeConfig? Config, IReadOnlyList<string> BackupNames, LonghornBackupException? Error);

public static class BackupstoreQueries
{
    /// <summary>Loads a volume's backups in <see cref="BackupOrder"/>; a cfg that cannot be read is reported in its listing, not thrown.</summary>
    public static async Task<IReadOnlyList<BackupListing>> ListBackupsAsync(this Backupstore store, string volumeName,
        Func<string, bool>? nameFilter, CancellationToken ct)
    {
        var names = (await store.ListBackupNamesAsync(volumeName, ct).ConfigureAwait(false))
            .Where(n => nameFilter is null || nameFilter(n)).ToList();
        // Thousands of cfgs on a network store: read several at once (one request each is the latency that counts).
        var loaded = new BackupListing?[names.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = store.ReadParallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count), options, async (i, token) =>
        {
            string url = store.BackupUrl(volumeName, names[i]);
            try
            {
                var cfg = await store.LoadBackupAsync(volumeName, names[i], token).ConfigureAwait(false);
                cfg?.DropBlockMap();
                if (cfg is not null) loaded[i] = new BackupListing(volumeName, names[i], url, cfg, null);
            }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData or ErrorKind.ReadError)
            {
                loaded[i] = new BackupListing(volumeName, names[i], url, null, e);
            }
        }).ConfigureAwait(false);
        var result = loaded.OfType<BackupListing>().ToList();
        return await BackupOrder.OldestFirstAsync(store, result, b => (b.VolumeName, b.BackupName, b.Config), ct).ConfigureAwait(false);
    }

    /// <summary>Describes several volumes at once (a store of hundreds of volumes), in the order given.</summary>
    public static async Task<IReadOnlyList<VolumeListing>> DescribeVolumesAsync(this Backupstore store, IReadOnlyList<string> volumeNames,
        CancellationToken ct)
    {
        var described = new VolumeListing[volumeNames.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = store.ReadParallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, volumeNames.Count), options, async (i, token) =>
            described[i] = await store.DescribeVolumeAsync(volumeNames[i], token).ConfigureAwait(false)).ConfigureAwait(false);
        return described;
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
