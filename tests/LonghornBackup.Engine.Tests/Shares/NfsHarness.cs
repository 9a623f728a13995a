using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests.Shares;

/// <summary>
/// An nfs:// target whose export the mount table shows mounted at a test folder (this machine's kernel has no NFS
/// client): the store is opened by its URL through the NFS driver, which finds the export by its source, and the
/// objects are checked on disk, not through the driver.
/// </summary>
public sealed class NfsHarness : TargetHarness
{
    private readonly FakeShareMachine _machine = new();
    private readonly string _exportFolder;

    public NfsHarness()
    {
        // The export nas.example:/srv/longhorn is mounted at a folder of the administrator's choosing; the target
        // names a folder below the export, as Longhorn users often do.
        string mountPoint = _machine.Sub("mnt-nas");
        _machine.AddMount("nfs4", "nas.example:/srv/longhorn", mountPoint);
        _exportFolder = Directory.CreateDirectory(Path.Combine(mountPoint, "cluster-a")).FullName;
        Url = TargetUrl.Parse("nfs://nas.example:/srv/longhorn/cluster-a");
        Store = Backupstore.Open(Url, null, new StoreOpenOptions { Shares = _machine.System });
    }

    public override TargetUrl Url { get; }
    public override Backupstore Store { get; }

    public override Task<SortedDictionary<string, byte[]>> ObjectsAsync() => Task.FromResult(FileSystemHarness.ReadTree(_exportFolder));

    public override Task PutObjectsAsync(IReadOnlyDictionary<string, byte[]> objects)
    {
        foreach (var (key, bytes) in objects)
        {
            string path = Path.Combine(_exportFolder, key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
        return Task.CompletedTask;
    }

    public override void Dispose()
    {
        base.Dispose();
        _machine.Dispose();
    }
}

/// <summary>The engine suite (backup, incremental, full, labels, restore, the Longhorn fixture) through an nfs:// target.</summary>
public sealed class EngineOnNfsTests : EngineOnTargetTests
{
    protected override TargetHarness T { get; } = new NfsHarness();
}

/// <summary>The lifecycle suite (retention, deletion with garbage collection, deep checks, repair) through an nfs:// target.</summary>
public sealed class LifecycleOnNfsTests : LifecycleOnTargetTests
{
    protected override TargetHarness T { get; } = new NfsHarness();
}
