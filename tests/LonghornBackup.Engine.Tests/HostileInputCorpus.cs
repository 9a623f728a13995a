using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// One hostile or malformed input: <see cref="Arrange"/> plants it next to a seeded store and returns the value (or
/// path) the error message must name; <see cref="Act"/> runs the operation that must refuse it with <see cref="ErrorId"/>.
/// </summary>
internal sealed record HostileCase(string Name, string ErrorId, Func<TestStore, string> Arrange, Func<TestStore, string, Task> Act);

/// <summary>
/// The corpus of bad inputs (issue 14 item 9): URLs, names, labels, images, hostile store files, manifests and
/// restore destinations. Adding a case is one line in <see cref="Cases"/>. Every case runs against a store seeded
/// with one backup (<see cref="SeedVolume"/>/<see cref="SeedBackup"/>) and must leave it unchanged.
/// </summary>
internal static class HostileInputCorpus
{
    public const string SeedVolume = "vol-seed";
    public const string SeedBackup = "backup-seed";

    private static HostileCase Row(string name, string errorId, Func<TestStore, string> arrange, Func<TestStore, string, Task> act) =>
        new(name, errorId, arrange, act);

    public static IReadOnlyList<HostileCase> Cases { get; } = new[]
    {
        // Backup target URLs: refused, never trimmed into another folder.
        Row("url: leading space", ErrorIds.InvalidBackupTargetUrl, t => " " + t.Root, Url),
        Row("url: trailing space", ErrorIds.InvalidBackupTargetUrl, t => t.Root + " ", Url),
        Row("url: only spaces", ErrorIds.InvalidBackupTargetUrl, _ => "   ", Url),
        Row("url: trailing newline", ErrorIds.InvalidBackupTargetUrl, t => "vfs://" + t.Root + "\n", Url),
        Row("url: tab inside", ErrorIds.InvalidBackupTargetUrl, t => t.Root + "\tx", Url),
        Row("url: s3 with trailing space", ErrorIds.InvalidBackupTargetUrl, _ => "s3://bucket@us-east-1/ ", Url),

        // Names: checked for length and characters before anything is written (not even volume.cfg).
        Row("name: 1 KB backup name", ErrorIds.InvalidName, _ => new string('b', 1024), (t, v) => Backup(t, backupName: v)),
        Row("name: backup name one over the limit", ErrorIds.InvalidName, _ => new string('b', NameRules.MaxBackupNameLength + 1), (t, v) => Backup(t, backupName: v)),
        Row("name: backup name with a slash", ErrorIds.InvalidName, _ => "backup/x", (t, v) => Backup(t, backupName: v)),
        Row("name: 1 KB volume name", ErrorIds.InvalidName, _ => new string('v', 1024), (t, v) => Backup(t, volume: v)),
        Row("name: 1 KB snapshot name", ErrorIds.InvalidName, _ => new string('s', 1024), (t, v) => Backup(t, snapshot: v)),
        Row("name: snapshot name with a NUL", ErrorIds.InvalidName, _ => "snap\0x", (t, v) => Backup(t, snapshot: v)),
        Row("name: 1 KB target name", ErrorIds.InvalidName, _ => new string('t', 1024), (_, v) => Run(() => Targets.TargetRegistry.ValidateName(v))),
        Row("name: 1 KB backup name in a manifest", ErrorIds.InvalidManifest, _ => new string('m', 1024), (t, v) => PlanManifest(ManifestNamed(v))),
        Row("name: 1 KB -Name over a manifest", ErrorIds.InvalidName, _ => new string('o', 1024), (t, v) => PlanManifest(ManifestNamed("backup-ok"), backupName: v)),

        // Labels.
        Row("label: 1 KB value", ErrorIds.InvalidLabel, _ => new string('l', 1024), (t, v) => Backup(t, labels: new() { ["app"] = v })),
        Row("label: 1 KB key", ErrorIds.InvalidLabel, _ => new string('k', 1024), (t, v) => Backup(t, labels: new() { [v] = "x" })),
        Row("label: value with a newline", ErrorIds.InvalidLabel, _ => "app", (t, v) => Backup(t, labels: new() { [v] = "a\nb" })),

        // Images: anything but a regular file or a block device is refused before it is opened.
        Row("image: a FIFO", ErrorIds.SnapshotReadFailed, t => Fifo(t.WorkFile("pipe.img")), (t, v) => Backup(t, image: v)),
        Row("image: a link to a FIFO", ErrorIds.SnapshotReadFailed, t => Link(t.WorkFile("pipe-link.img"), Fifo(t.WorkFile("pipe2.img"))), (t, v) => Backup(t, image: v)),

        // Hostile store files: links out of the store are never followed, to delete, write or read.
        Row("store: volume folder links outside (remove volume)", ErrorIds.LinkOutsideBackupTarget, t => LinkedVolume(t, "vol-linked"), (t, _) => DeleteVolume(t, "vol-linked")),
        Row("store: volume folder links outside (backup into it)", ErrorIds.LinkOutsideBackupTarget, t => LinkedVolume(t, "vol-linked"), (t, _) => Backup(t, volume: "vol-linked")),
        Row("store: backups folder links outside (restore)", ErrorIds.LinkOutsideBackupTarget, t => LinkOut(t, StorePaths.BackupsDir(SeedVolume)), (t, _) => Restore(t, t.WorkFile("out.img"))),
        Row("store: backups folder links outside (remove backup)", ErrorIds.LinkOutsideBackupTarget, t => LinkOut(t, StorePaths.BackupsDir(SeedVolume)), (t, _) => t.DeleteBackupsAsync(SeedVolume, SeedBackup)),
        Row("store: volume.cfg links outside (restore)", ErrorIds.LinkOutsideBackupTarget, t => LinkOut(t, StorePaths.VolumeConfig(SeedVolume)), (t, _) => Restore(t, t.WorkFile("out.img"))),

        // Manifests: bounded in size and nesting before any object graph is built; never a crash.
        Row("manifest: 50,000 nested [", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxDepth}", (_, _) => Parse(new string('[', 50_000))),
        Row("manifest: 50,000 nested {", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxDepth}", (_, _) => Parse(new string('{', 50_000))),
        Row("manifest: nested [ inside a spec", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxDepth}", (_, _) => Parse(ManifestNamed("b-deep") + "  labels: " + new string('[', 10_000))),
        Row("manifest: 1,000 levels of block mappings", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxDepth}", (_, _) => Parse(DeepBlockMappings(1_000))),
        Row("manifest: 5,000 levels of block sequences", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxDepth}", (_, _) => Parse(string.Concat(Enumerable.Repeat("- ", 5_000)) + "x\n")),
        Row("manifest: text over the size limit", ErrorIds.InvalidManifest, _ => $"limit of {ManifestLimits.MaxCharacters}", (_, _) => Parse("# " + new string('x', ManifestLimits.MaxCharacters))),
        Row("manifest: file over the size limit", ErrorIds.InvalidManifest, t => BigFile(t.WorkFile("big.yaml")), (_, v) => Task.FromResult(ManifestSource.FromFile(v))),
        // Malformed Secrets (Set-LhBackupTarget -Manifest/-SecretManifest): InvalidManifest with document and line, never a .NET exception.
        Row("manifest: Secret with a flow mapping broken across lines", ErrorIds.InvalidManifest, _ => "document 1 of secret.yaml, line 5",
            (_, _) => ParseSecret(SecretHead + "  labels: {a:\nb}\nstringData:\n  AWS_ACCESS_KEY_ID: a\n")),
        Row("manifest: Secret with a node right after an alias", ErrorIds.InvalidManifest, _ => "document 1 of secret.yaml, line 6: YAML syntax error near this line",
            (_, _) => ParseSecret(SecretHead + "  labels: {a: b}*a\nstringData:\n  AWS_ACCESS_KEY_ID: a\n")),
        Row("manifest: Secret data that is a list", ErrorIds.InvalidManifest, _ => "line 6, data: data must be a mapping",
            (_, _) => ParseSecret(SecretHead + "data:\n  - AWS_ACCESS_KEY_ID\n")),
        Row("manifest: Secret data that is not base64", ErrorIds.InvalidManifest, _ => "line 6, data.AWS_SECRET_ACCESS_KEY: data.AWS_SECRET_ACCESS_KEY is not base64",
            (_, _) => ParseSecret(SecretHead + "data:\n  AWS_SECRET_ACCESS_KEY: not*base64!\n")),
        Row("manifest: Secret metadata that is a list", ErrorIds.InvalidManifest, _ => "line 4, metadata: metadata must be a mapping",
            (_, _) => ParseSecret("apiVersion: v1\nkind: Secret\nmetadata:\n  - name: s\n")),
        Row("manifest: Secret value that is a mapping", ErrorIds.InvalidManifest, _ => "line 6, stringData.AWS_ACCESS_KEY_ID: stringData.AWS_ACCESS_KEY_ID must be a string",
            (_, _) => ParseSecret(SecretHead + "stringData:\n  AWS_ACCESS_KEY_ID: {value: x}\n")),
        Row("manifest: Secret with a misspelt field", ErrorIds.InvalidManifest, _ => "line 5, stringdata: unknown field 'stringdata' (did you mean 'stringData'?)",
            (_, _) => ParseSecret(SecretHead + "stringdata:\n  AWS_ACCESS_KEY_ID: a\n")),

        // Restore destinations inside the store: refused, with or without overwrite.
        Row("restore: over the store's volume.cfg", ErrorIds.RestoreTargetInsideStore, t => Path.Combine(t.Root, StorePaths.VolumeConfig(SeedVolume)), (t, v) => Restore(t, v)),
        Row("restore: new file in backupstore/", ErrorIds.RestoreTargetInsideStore, t => Path.Combine(t.Root, "backupstore", "x.img"), (t, v) => Restore(t, v)),
        Row("restore: new file in the target root", ErrorIds.RestoreTargetInsideStore, t => Path.Combine(t.Root, "x.img"), (t, v) => Restore(t, v)),
        Row("restore: through a linked folder", ErrorIds.RestoreTargetInsideStore, t => Path.Combine(Link(t.WorkFile("into-store"), t.Root), "x.img"), (t, v) => Restore(t, v)),
        Row("restore: over a link to volume.cfg", ErrorIds.RestoreTargetInsideStore, t => Link(t.WorkFile("cfg-link"), Path.Combine(t.Root, StorePaths.VolumeConfig(SeedVolume))), (t, v) => Restore(t, v)),
        Row("restore: relative path with ..", ErrorIds.RestoreTargetInsideStore, t => Path.Combine(t.Root, "backupstore", "y.img"), (t, _) => Restore(t, Path.Combine(t.Work, "..", "target", "backupstore", "y.img"))),

        // Volume sizes: volume.cfg's Size sizes every restore, so it and the block maps are checked before anything is written.
        Row("size: a snapshot smaller than its volume", ErrorIds.SnapshotSmallerThanVolume, t => TestImages.Create(t.WorkFile("small.img"), TestImages.Block),
            (t, v) => Backup(t, volume: SeedVolume, image: v)),
        Row("size: volume.cfg with a huge Size (restore)", ErrorIds.CorruptConfig, t => SetVolumeSize(t, long.MaxValue - 7), (t, _) => Restore(t, t.WorkFile("out.img"))),
        Row("size: volume.cfg with a huge Size (backup)", ErrorIds.CorruptConfig, t => SetVolumeSize(t, long.MaxValue - 7), (t, _) => Backup(t, volume: SeedVolume)),
        Row("size: volume.cfg with a negative Size", ErrorIds.CorruptConfig, t => SetVolumeSize(t, -1), (t, _) => Restore(t, t.WorkFile("out.img"))),
        Row("size: a block mapped beyond the volume", ErrorIds.BlocksBeyondVolumeSize, t => MapAlso(t, 8L * TestImages.MiB), (t, _) => Restore(t, t.WorkFile("out.img"))),
        // Replica directories: broken metadata or layers give the module's own errors, and nothing blocks.
        Row("replica: a layer that is a FIFO", ErrorIds.SnapshotReadFailed, t => Fifo(Replace(Replica(t), ReplicaBuilder.Snap("a"))), (t, _) => OpenReplica(t, "d")),
        Row("replica: volume.meta is not JSON", ErrorIds.ReplicaInvalid, t => Write(Path.Combine(Replica(t), "volume.meta"), "{\"Size\": [1"), (t, _) => OpenReplica(t, "d")),
        Row("replica: a chain that loops", ErrorIds.ReplicaInvalid, t => Loop(Replica(t)), (t, _) => OpenReplica(t, "d")),
        Row("size: a block offset not on a block boundary", ErrorIds.CorruptConfig, t => MapAlso(t, TestImages.Block + 512), (t, _) => Restore(t, t.WorkFile("out.img"))),
    };

    public static async Task SeedAsync(TestStore t)
    {
        string image = TestImages.Create(t.WorkFile("seed.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(9, 1000)));
        await t.BackupAsync(SeedVolume, image, backupName: SeedBackup);
    }

    private static Task Url(TestStore t, string url) => Task.FromResult(TargetUrl.Parse(url));

    private static Task Run(Action check)
    {
        check();
        return Task.CompletedTask;
    }

    private static Task Backup(TestStore t, string volume = "vol-new", string snapshot = "snap-1", string? backupName = null,
        Dictionary<string, string>? labels = null, string? image = null) =>
        t.BackupAsync(volume, image ?? t.WorkFile("seed.img"), snapshot: snapshot, backupName: backupName, labels: labels);

    private static Task Restore(TestStore t, string output) => t.RestoreAsync(SeedVolume, SeedBackup, output, overwrite: true);

    private static Task DeleteVolume(TestStore t, string volume) =>
        new VolumeDeleter(t.Store, TestStore.FastLocks).DeleteAsync(volume, null, null, CancellationToken.None);

    private static Task Parse(string yaml) => Task.FromResult(ManifestParser.Parse(yaml, "hostile.yaml", ManifestKinds.Backup));

    private const string SecretHead = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";

    /// <summary>Parses as Set-LhBackupTarget does with a -SecretManifest file.</summary>
    private static Task ParseSecret(string yaml) => Task.FromResult(ManifestParser.Parse(yaml, "secret.yaml", ManifestKinds.Secret));

    private static Task PlanManifest(string yaml, string? backupName = null) => Task.FromResult(BackupManifestPlanner.Plan(
        ManifestParser.Parse(yaml, "names.yaml", ManifestKinds.Backup).Backups, new BackupManifestOverrides { BackupName = backupName }));

    private static string ManifestNamed(string name) => $"""
        apiVersion: longhorn.io/v1beta2
        kind: Backup
        metadata:
          name: {name}
          labels:
            backup-volume: vol-new
        spec:
          snapshotName: snap-1

        """;

    private static string DeepBlockMappings(int levels) =>
        string.Concat(Enumerable.Range(0, levels).Select(i => new string(' ', i) + "k:\n")) + new string(' ', levels) + "v\n";

    private static string BigFile(string path)
    {
        File.WriteAllText(path, "# " + new string('x', ManifestLimits.MaxCharacters));
        return path;
    }

    public static string Fifo(string path)
    {
        var mkfifo = System.Diagnostics.Process.Start("mkfifo", new[] { path });
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    private static string Link(string path, string target)
    {
        if (Directory.Exists(target)) Directory.CreateSymbolicLink(path, target);
        else File.CreateSymbolicLink(path, target);
        return path;
    }

    /// <summary>Moves a store folder or file outside the store (next to a precious.txt) and links it back. Returns the link.</summary>
    public static string LinkOut(TestStore t, string key)
    {
        string inside = Path.Combine(t.Root, key);
        string outside = Path.Combine(t.WorkFile("outside"), Path.GetFileName(inside));
        Directory.CreateDirectory(t.WorkFile("outside"));
        File.WriteAllText(Path.Combine(t.WorkFile("outside"), "precious.txt"), "not a backup file");
        if (Directory.Exists(inside)) Directory.Move(inside, outside);
        else File.Move(inside, outside);
        return Link(inside, outside);
    }

    private static string Replica(TestStore t) => ReplicaChainTests.FiveLayers(t.Work, "pvc-hostile").Path;

    private static Task OpenReplica(TestStore t, string snapshot) =>
        Task.FromResult(BlockSources.Open(new BlockSourceSpec { ReplicaPath = Path.Combine(t.Work, "pvc-hostile-1a2b3c4d"), SnapshotName = snapshot }));

    /// <summary>Deletes a file of a replica so something else can take its place; returns its path.</summary>
    private static string Replace(string replica, string file)
    {
        string path = Path.Combine(replica, file);
        File.Delete(path);
        return path;
    }

    private static string Write(string path, string text)
    {
        File.WriteAllText(path, text);
        return Path.GetFileName(path);
    }

    /// <summary>Makes snapshot a's parent snapshot d, so the chain from d loops; returns the layer named in the error.</summary>
    private static string Loop(string replica)
    {
        string meta = Path.Combine(replica, ReplicaBuilder.Snap("a") + ".meta");
        File.WriteAllText(meta, File.ReadAllText(meta).Replace("\"Parent\":\"\"", $"\"Parent\":\"{ReplicaBuilder.Snap("d")}\""));
        return ReplicaBuilder.Snap("d");
    }

    /// <summary>Rewrites the seed volume's volume.cfg with another Size; returns the file (the message names it).</summary>
    private static string SetVolumeSize(TestStore t, long size)
    {
        var cfg = t.ReadVolumeCfg(SeedVolume);
        cfg.Size = size;
        File.WriteAllBytes(t.VolumeCfgFile(SeedVolume), cfg.ToJson());
        return "volume.cfg";
    }

    /// <summary>Maps the seed backup's first block at one more offset; returns that offset or the backup (the message names them).</summary>
    private static string MapAlso(TestStore t, long offset)
    {
        var cfg = t.ReadBackupCfg(SeedVolume, SeedBackup);
        cfg.Blocks.Add(new BlockMapping(offset, cfg.Blocks[0].BlockChecksum));
        File.WriteAllBytes(t.BackupCfgFile(SeedVolume, SeedBackup), cfg.ToJson());
        return offset % TestImages.Block == 0 ? SeedBackup : offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A volume folder in the store that is a link to a folder outside holding a volume.cfg and a precious.txt.</summary>
    public static string LinkedVolume(TestStore t, string volume)
    {
        string outside = Directory.CreateDirectory(t.WorkFile("outside-volume")).FullName;
        File.Copy(t.VolumeCfgFile(SeedVolume), Path.Combine(outside, "volume.cfg"));
        Directory.CreateDirectory(Path.Combine(outside, "backups"));
        File.WriteAllText(Path.Combine(outside, "backups", "backup_x.cfg"), "{}");
        File.WriteAllText(Path.Combine(outside, "precious.txt"), "not a backup file");
        string link = t.VolumeDir(volume);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        return Link(link, outside);
    }
}
