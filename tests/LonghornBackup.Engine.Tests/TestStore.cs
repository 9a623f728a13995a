using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// A temp folder with an empty backup target (Root) and a scratch folder (Work) for images and restores, plus
/// short-hands for running the real engine against it and reading what it wrote on disk.
/// </summary>
internal sealed class TestStore : IDisposable
{
    private readonly TempDir _dir = new();

    /// <param name="copyFrom">A store root to copy in (e.g. the fixture); null gives an empty target folder.</param>
    public TestStore(string? copyFrom = null)
    {
        Root = Path.Combine(_dir.Path, "target");
        if (copyFrom is null) Directory.CreateDirectory(Root);
        else TempDir.CopyTree(copyFrom, Root);
        Work = _dir.Sub("work");
        Url = TargetUrl.Parse(Root);
        Store = Backupstore.Open(Url);
    }

    public string Root { get; }
    public string Work { get; }
    public TargetUrl Url { get; }
    public Backupstore Store { get; }

    public string WorkFile(string name) => Path.Combine(Work, name);

    /// <summary>
    /// Longhorn's lock protocol with short waits, so hundreds of engine runs stay fast. Expiry keeps Longhorn's 150 s:
    /// stale-lock tests age lock files against it. LockTests also runs the protocol with Longhorn's own timings.
    /// </summary>
    public static LockOptions FastLocks { get; } = new()
    {
        CheckWait = TimeSpan.FromMilliseconds(20),
        RetryInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>The same target seen through another object store (e.g. a failing decorator).</summary>
    public Backupstore Through(Func<IObjectStore, IObjectStore> wrap) => new(wrap(new FileSystemStore(Root)), Url);

    public string VolumeDir(string volume) => Path.Combine(Root, StorePaths.VolumeDir(volume));
    public string[] BlockFiles(string volume) => TestImages.BlockFiles(Path.Combine(Root, StorePaths.BlocksDir(volume)));
    public string BlockFile(string volume, string checksum) => Path.Combine(Root, StorePaths.Block(volume, checksum));
    public string BackupCfgFile(string volume, string backup) => Path.Combine(Root, StorePaths.BackupConfig(volume, backup));
    public string VolumeCfgFile(string volume) => Path.Combine(Root, StorePaths.VolumeConfig(volume));

    public VolumeConfig ReadVolumeCfg(string volume) =>
        VolumeConfig.Parse(File.ReadAllBytes(VolumeCfgFile(volume)), VolumeCfgFile(volume));

    public BackupConfig ReadBackupCfg(string volume, string backup) =>
        BackupConfig.Parse(File.ReadAllBytes(BackupCfgFile(volume, backup)), BackupCfgFile(volume, backup));

    public bool RootIsEmpty => !Directory.EnumerateFileSystemEntries(Root).Any();

    /// <summary>Every file under the target with its SHA-256: equal before and after means nothing changed.</summary>
    public string TreeState() => string.Join("\n", Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal).Select(f => $"{Path.GetRelativePath(Root, f)}={TestImages.Sha256(f)}"));

    /// <summary>Flips 16 bytes in the middle of a stored block file, as bit rot or a bad disk would.</summary>
    public void CorruptBlock(string volume, string checksum)
    {
        string file = BlockFile(volume, checksum);
        byte[] stored = File.ReadAllBytes(file);
        for (int i = stored.Length / 2; i < stored.Length / 2 + 16; i++) stored[i] ^= 0x5A;
        File.WriteAllBytes(file, stored);
    }

    public string[] LockFiles(string volume)
    {
        string dir = Path.Combine(Root, StorePaths.LocksDir(volume));
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.lck") : Array.Empty<string>();
    }

    /// <summary>
    /// Puts a lock file in the store as another client (Longhorn, another process) would, with its time
    /// (the file's modification time) <paramref name="age"/> in the past. Returns its path.
    /// </summary>
    public string PlantLock(string volume, LockType type, bool acquired, TimeSpan age = default, string? name = null)
    {
        name ??= NameRules.NewLockName();
        string path = Path.Combine(Root, StorePaths.Lock(volume, name));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new LockFile(name, type, acquired).ToJson());
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    public Task<BackupResult> BackupAsync(string volume, string image, string snapshot = "snap-1",
        BackupMode mode = BackupMode.Incremental, string? compression = null, int? blockSize = null,
        IReadOnlyDictionary<string, string>? labels = null, string? backupName = null, int? concurrency = null,
        Backupstore? via = null, TimeProvider? clock = null, TimeSpan? lockTimeout = null, CancellationToken ct = default,
        bool useChangeCache = true, LockOptions? locks = null) =>
        RunBackupAsync(via ?? Store, new BackupRequest
        {
            VolumeName = volume,
            SnapshotName = snapshot,
            Source = RawImageSource.Open(image),
            Mode = mode,
            CompressionMethod = compression,
            BlockSize = blockSize,
            Labels = labels,
            BackupName = backupName,
            Concurrency = concurrency,
            UseChangeCache = useChangeCache,
            ChangeCacheDirectory = ChangeCacheDirectory,
            LockTimeout = lockTimeout,
        }, clock, ct, locks);

    /// <summary>This store's own change-cache folder, so tests never touch the user's cache.</summary>
    public string ChangeCacheDirectory => WorkFile("block-cache");

    /// <param name="locks">The lock protocol's timings and clock; <see cref="FastLocks"/> when null.</param>
    public static async Task<BackupResult> RunBackupAsync(Backupstore store, BackupRequest request, TimeProvider? clock = null,
        CancellationToken ct = default, LockOptions? locks = null)
    {
        using (request.Source)
            return await new BackupEngine(store, clock, locks ?? FastLocks).RunAsync(request, null, ct);
    }

    public Task<RestoreResult> RestoreAsync(string volume, string backup, string output, bool overwrite = false,
        Backupstore? via = null, TimeSpan? lockTimeout = null, CancellationToken ct = default) =>
        new RestoreEngine(via ?? Store, FastLocks).RunAsync(new RestoreRequest
        {
            VolumeName = volume,
            BackupName = backup,
            OutputPath = output,
            Overwrite = overwrite,
            LockTimeout = lockTimeout,
        }, null, ct);

    public Task<BackupDeletionResult> DeleteBackupsAsync(string volume, IEnumerable<string> backups, Backupstore? via = null,
        TimeSpan? lockTimeout = null, CancellationToken ct = default, LockOptions? locks = null) =>
        new BackupDeleter(via ?? Store, locks ?? FastLocks).DeleteAsync(volume, backups, lockTimeout, null, ct);

    public Task<BackupDeletionResult> DeleteBackupsAsync(string volume, params string[] backups) => DeleteBackupsAsync(volume, backups, via: null);

    public Task<VolumeVerification> VerifyAsync(string volume, bool deep, IReadOnlyCollection<string>? backups = null,
        Backupstore? via = null, IProgress<Progress.OperationProgress>? progress = null, CancellationToken ct = default) =>
        new BackupVerifier(via ?? Store, FastLocks).VerifyAsync(new VerificationRequest
        {
            VolumeName = volume,
            BackupNames = backups,
            Deep = deep,
        }, progress, ct);

    /// <summary>Restores every listed backup and returns backup name to SHA-256 of the restored image.</summary>
    public async Task<Dictionary<string, string>> RestoreShasAsync(string volume, IEnumerable<string> backups)
    {
        var result = new Dictionary<string, string>();
        foreach (var b in backups)
        {
            string file = await RestoreToNewFileAsync(volume, b);
            result[b] = TestImages.Sha256(file);
            File.Delete(file);
        }
        return result;
    }

    /// <summary>Restores into a new file under Work and returns its path.</summary>
    public async Task<string> RestoreToNewFileAsync(string volume, string backup)
    {
        string output = WorkFile($"restore-{Guid.NewGuid():N}.img");
        await RestoreAsync(volume, backup, output);
        return output;
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>A clock fixed at one instant, so times written into cfgs can be asserted exactly.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>The system clock plus an offset a test moves forward at a hooked moment (timers still run in real time).</summary>
internal sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
        set => Interlocked.Exchange(ref _offsetTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + Offset;
}
