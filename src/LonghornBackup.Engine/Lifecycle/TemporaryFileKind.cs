using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// A temporary file of an atomic write ("&lt;name&gt;.tmp.&lt;digits&gt;", <see cref="OwnFiles"/>) that never reached its
/// rename: the process died in between. Only folder stores (folders, NFS and CIFS exports) write them; S3 and Azure
/// writes are single uploads that leave nothing half-done (S3 multipart uploads and uncommitted Azure blocks are
/// never used), but a store copied from a folder may still carry some, so every store is looked at.
/// </summary>
internal sealed class TemporaryFileKind : ILeftoverKind
{
    public static TemporaryFileKind Instance { get; } = new();

    public string Name => "TemporaryFile";
    public string Noun => "temporary file";

    public async Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct)
    {
        var found = new List<Leftover>();
        foreach (var (relative, _) in await scan.ListAsync("", ct).ConfigureAwait(false))
        {
            string name = OwnFiles.NameOf(relative);
            if (!OwnFiles.IsTemporary(name)) continue;
            string key = $"{scan.VolumeDir}/{relative}";
            if (await scan.Store.Store.StatAsync(key, ct).ConfigureAwait(false) is not { } info) continue;
            var age = scan.AgeOf(info.LastModified);
            if (age < scan.OlderThan) continue;
            found.Add(new Leftover(Name, key, name, info.LastModified, age, info.Size,
                $"an unfinished write of '{relative[..^(name.Length - name.IndexOf(".tmp.", StringComparison.Ordinal))]}', {Ages.Describe(age)} old"));
        }
        return found;
    }

    public Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct) =>
        LeftoverKinds.DeleteIfUnchangedAsync(scan, leftover, ct);
}
