using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// An empty backup target reached through a real driver, for engine tests that run on every driver: the opened
/// store, a scratch folder for images and restores, and access to the stored objects that does not go through the
/// driver under test (files on disk; a plain SDK client for S3), to check what a backup really wrote.
/// </summary>
public abstract class TargetHarness : IDisposable
{
    private readonly TempDir _scratch = new("lhb-harness");

    protected TargetHarness() => Work = _scratch.Sub("work");

    public string Work { get; }
    public abstract TargetUrl Url { get; }
    public abstract Backupstore Store { get; }

    /// <summary>Every object below the target root (keys like "backupstore/volumes/...") with its bytes.</summary>
    public abstract Task<SortedDictionary<string, byte[]>> ObjectsAsync();

    /// <summary>Writes objects directly (not through the driver): to corrupt a block, or to copy a store in.</summary>
    public abstract Task PutObjectsAsync(IReadOnlyDictionary<string, byte[]> objects);

    public string WorkFile(string name) => Path.Combine(Work, name);

    public async Task<string[]> BlockKeysAsync(string volume) =>
        (await ObjectsAsync()).Keys.Where(k => k.StartsWith(StorePaths.BlocksDir(volume) + "/", StringComparison.Ordinal) && k.EndsWith(".blk", StringComparison.Ordinal)).ToArray();

    /// <summary>Copies a folder tree (e.g. the Longhorn fixture's backupstore/) into the target under a key prefix, byte for byte.</summary>
    public Task LoadTreeAsync(string folder, string keyPrefix) =>
        PutObjectsAsync(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => keyPrefix + Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllBytes));

    public async Task<BackupResult> BackupAsync(string volume, string image, string snapshot = "snap-1",
        BackupMode mode = BackupMode.Incremental, string? compression = null, IReadOnlyDictionary<string, string>? labels = null,
        int? concurrency = null, Backupstore? via = null, Locking.LockOptions? locking = null)
    {
        using var source = RawImageSource.Open(image);
        return await new BackupEngine(via ?? Store, locking: locking).RunAsync(new BackupRequest
        {
            VolumeName = volume,
            SnapshotName = snapshot,
            Source = source,
            Mode = mode,
            CompressionMethod = compression,
            Labels = labels,
            Concurrency = concurrency,
        }, null, CancellationToken.None);
    }

    /// <summary>Restores into a new file under Work and returns its path.</summary>
    public async Task<string> RestoreToNewFileAsync(string volume, string backup, Backupstore? via = null, Locking.LockOptions? locking = null)
    {
        string output = WorkFile($"restore-{Guid.NewGuid():N}.img");
        await new RestoreEngine(via ?? Store, locking).RunAsync(new RestoreRequest { VolumeName = volume, BackupName = backup, OutputPath = output }, null, CancellationToken.None);
        return output;
    }

    public virtual void Dispose()
    {
        Store.Dispose();
        _scratch.Dispose();
    }
}

/// <summary>A target folder on the local file system.</summary>
public sealed class FileSystemHarness : TargetHarness
{
    private readonly TempDir _dir = new("lhb-fs-target");

    public FileSystemHarness()
    {
        Url = TargetUrl.Parse(_dir.Path);
        Store = Backupstore.Open(Url);
    }

    public override TargetUrl Url { get; }
    public override Backupstore Store { get; }
    public string Root => _dir.Path;

    public override Task<SortedDictionary<string, byte[]>> ObjectsAsync() => Task.FromResult(ReadTree(_dir.Path));

    public static SortedDictionary<string, byte[]> ReadTree(string root)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(root, f).Replace('\\', '/')] = File.ReadAllBytes(f);
        return result;
    }

    public override Task PutObjectsAsync(IReadOnlyDictionary<string, byte[]> objects)
    {
        foreach (var (key, bytes) in objects)
        {
            string path = Path.Combine(_dir.Path, key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
        return Task.CompletedTask;
    }

    public override void Dispose()
    {
        base.Dispose();
        _dir.Dispose();
    }
}

/// <summary>A fresh key prefix in the test bucket of the loopback S3 server.</summary>
public sealed class S3Harness : TargetHarness
{
    private readonly S3Server _server;

    public S3Harness(S3Server server, Backupstore? store = null, TargetUrl? url = null)
    {
        _server = server;
        Url = url ?? S3Server.NewUrl();
        Store = store ?? server.Open(Url);
    }

    public override TargetUrl Url { get; }
    public override Backupstore Store { get; }

    public override Task<SortedDictionary<string, byte[]>> ObjectsAsync() => _server.ReadAllAsync(Url);

    public override async Task PutObjectsAsync(IReadOnlyDictionary<string, byte[]> objects)
    {
        using var client = _server.RawClient();
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (pair, ct) =>
            await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
            {
                BucketName = Url.S3().Bucket,
                Key = Url.S3().Prefix + "/" + pair.Key,
                InputStream = new MemoryStream(pair.Value),
                UseChunkEncoding = false,
            }, ct));
    }
}
