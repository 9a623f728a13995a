using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// A backup cfg still marked in progress (empty CreatedTime, docs/backupstore-format.md §2.2) long after it was written: its run died, and
/// while it stays, garbage collection of the volume frees nothing (§4.5, §5.2). Its age is its object's modification
/// time: the marker is written once when a backup starts and replaced by the final cfg when it ends. (SnapshotCreatedAt
/// will not do: Longhorn puts the snapshot's creation time there, which may be far older than the backup.)
/// </summary>
internal sealed class InProgressBackupKind : ILeftoverKind
{
    public static InProgressBackupKind Instance { get; } = new();

    /// <summary>
    /// An in-progress marker holds no block map, only names, times and labels: a few KiB at most. Larger cfgs are
    /// finished backups and are not read (a volume may have thousands).
    /// </summary>
    private const long MaxMarkerSize = 16 * 1024;

    public string Name => "InProgressBackup";
    public string Noun => "in-progress backup";

    public async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct)
    {
        var found = new List<Leftover>();
        foreach (var (relative, size) in await scan.ListAsync("backups", ct).ConfigureAwait(false))
        {
            if (size > MaxMarkerSize || relative.IndexOf('/', "backups/".Length) >= 0) continue;
            if (StorePaths.BackupNameFromFile(relative["backups/".Length..]) is not { } name) continue;
            string key = StorePaths.BackupConfig(scan.VolumeName, name);
            if (await scan.Store.Store.StatAsync(key, ct).ConfigureAwait(false) is not { } info) continue;
            var age = scan.AgeOf(info.LastModified);
            if (age < scan.OlderThan) continue;
            BackupConfig? cfg;
            try { cfg = await scan.Store.LoadBackupAsync(scan.VolumeName, name, ct).ConfigureAwait(false); }
            catch (LonghornBackupException e) when (e.Kind is ErrorKind.InvalidData) { continue; }   // not ours to judge: removal by name
            if (cfg is not { IsInProgress: true }) continue;
            found.Add(new Leftover(Name, key, name, info.LastModified, age, info.Size,
                $"backup '{name}' was started {Ages.Describe(age)} ago and never finished"));
        }
        return found;
    }

    public Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct) =>
        LeftoverKinds.DeleteIfUnchangedAsync(scan, leftover, ct);
}
