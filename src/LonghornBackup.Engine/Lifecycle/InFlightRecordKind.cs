using System.Buffers;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// The in-flight records of a run that died (docs/backupstore-format.md §14): its lock is gone or past the lease. The
/// blocks a record names may be torn, so removing the record first reads each of them back: a torn one is deleted
/// (no completed backup can rely on it), a whole one stays; only then the record goes, so no later backup ever trusts
/// a torn block. A record torn as it was written (none of its blocks was sent) goes once older than the lease.
/// </summary>
internal sealed class InFlightRecordKind : ILeftoverKind
{
    public static InFlightRecordKind Instance { get; } = new();

    public string Name => "InFlightRecord";
    public string Noun => "in-flight record";

    public async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct)
    {
        var found = new List<Leftover>();
        foreach (var (relative, _) in await scan.ListAsync("in-flight", ct).ConfigureAwait(false))
        {
            string name = OwnFiles.NameOf(relative);
            if (!StorePaths.IsInFlightRecordFile(name)) continue;
            string key = $"{scan.VolumeDir}/{relative}";
            if (await scan.Store.Store.StatAsync(key, ct).ConfigureAwait(false) is not { } info) continue;
            var age = scan.AgeOf(info.LastModified);
            var bytes = await scan.Store.Store.ReadAsync(key, ct).ConfigureAwait(false);
            if (bytes is null) continue;
            string detail;
            if (InFlightRecord.TryParse(bytes) is { } record)
            {
                if (await OwnerIsAliveAsync(scan, record.OwnerLock, ct).ConfigureAwait(false)) continue;
                detail = $"{record.Blocks.Count} block(s) backup '{record.BackupName}' was sending when its run ended, {Ages.Describe(age)} ago";
            }
            else if (age > scan.LockExpiry) detail = $"a record cut short as it was written, {Ages.Describe(age)} ago (none of its blocks was sent)";
            else continue;
            found.Add(new Leftover(Name, key, name, info.LastModified, age, info.Size, detail));
        }
        return found;
    }

    public async Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct)
    {
        var bytes = await scan.Store.Store.ReadAsync(leftover.Key, ct).ConfigureAwait(false);
        if (bytes is null) return false;
        if (InFlightRecord.TryParse(bytes) is { } record) await DeleteTornBlocksAsync(scan, record, ct).ConfigureAwait(false);
        return await LeftoverKinds.DeleteIfUnchangedAsync(scan, leftover, ct).ConfigureAwait(false);
    }

    private static async Task DeleteTornBlocksAsync(LeftoverScan scan, InFlightRecord record, CancellationToken ct)
    {
        var stored = new ArrayBufferWriter<byte>(record.BlockSize + record.BlockSize / 64 + 1024);
        var decoded = new ArrayBufferWriter<byte>(record.BlockSize);
        foreach (var checksum in record.Blocks)
        {
            string key = StorePaths.Block(scan.VolumeName, checksum);
            try
            {
                await BlockVerifier.ReadVerifiedAsync(scan.Store.Store, key, checksum, record.Compression, record.BlockSize, stored, decoded,
                    readsSoFar: 0, onRead: _ => { }, ct).ConfigureAwait(false);
            }
            catch (LonghornBackupException e) when (e.Kind == ErrorKind.InvalidData)
            {
                await scan.Store.Store.DeleteAsync(key, ct).ConfigureAwait(false);   // torn: nothing whole relies on it
            }
        }
    }

    private static async Task<bool> OwnerIsAliveAsync(LeftoverScan scan, string lockName, CancellationToken ct) =>
        NameRules.IsValidStoreName(lockName)
        && await scan.Store.Store.StatAsync(StorePaths.Lock(scan.VolumeName, lockName), ct).ConfigureAwait(false) is { } info
        && scan.AgeOf(info.LastModified) <= scan.LockExpiry;
}
