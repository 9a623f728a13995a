using System.Diagnostics;
using System.Text.Json;
using LonghornBackup.Bench;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Export;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Locking;
using LonghornBackup.Engine.Restore;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

// One benchmark step per process, so /usr/bin/time -v measures exactly that step (wall, CPU, peak RSS).
//   generate --output F --size-gib N --seed S --fill random|text [--density 0.5]
//   mutate   --image F --percent P --seed S --fill random|text
//   extract  --image F --output F            (dense copy of the data blocks, for the baselines)
//   replica-generate --dir D --size-gib N --seed S --density X --percent P --mutate-seed M   (prints changed blocks)
//   backup   --target null|DIR --volume V --snapshot S (--image F | --replica D) --mode full|incremental
//            --compression lz4|gzip|none --block-size-mib 2|16 --json OUT [--no-cache] [--block-sync per-file] [--lock-check-ms N]
//   restore  --target DIR --volume V --backup NAME|latest --output F --json OUT
//   export   --target DIR --volume V --backup NAME|latest --socket F --ready F --stop F --json OUT [--cache-mib 64] [--fetchers N]
//            (serves the backup over NBD; writes its URI to --ready, stops when the --stop file appears)
//   catalog-generate|catalog-list|catalog-retain --target URL --volume V --json OUT [--backups 5000 --blocks 50000] [--keep-last N]
//            (a synthetic volume of many backups sharing a pool of small blocks; see CatalogScaleBench)
var opts = ParseArgs(args);
string command = args.Length > 0 ? args[0] : "";
var clock = Stopwatch.StartNew();
switch (command)
{
    case "generate":
        ImageGenerator.Generate(opts["output"], long.Parse(opts["size-gib"]) << 30, int.Parse(opts["seed"]), opts["fill"],
            double.Parse(opts.GetValueOrDefault("density", "0.5"), System.Globalization.CultureInfo.InvariantCulture));
        break;
    case "mutate":
        Console.WriteLine(ImageGenerator.Mutate(opts["image"], double.Parse(opts["percent"], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(opts["seed"]), opts["fill"]));
        break;
    case "extract":
        Console.WriteLine(ImageGenerator.ExtractData(opts["image"], opts["output"]));
        break;
    case "replica-generate":
        Console.WriteLine(ReplicaGenerator.Generate(opts["dir"], long.Parse(opts["size-gib"]) << 30, int.Parse(opts["seed"]),
            double.Parse(opts["density"], System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(opts["percent"], System.Globalization.CultureInfo.InvariantCulture), int.Parse(opts["mutate-seed"])));
        break;
    case "backup":
    {
        var (bs, store) = OpenTarget(opts);
        using var source = BlockSources.Open(opts.ContainsKey("replica")
            ? new BlockSourceSpec { ReplicaPath = opts["replica"], SnapshotName = opts["snapshot"] }
            : new BlockSourceSpec { Path = opts["image"] });
        // The null sink has no other clients, so it skips the lock protocol's 2 s wait: it measures the work alone.
        // --lock-check-ms: a shorter wait for a store no other client uses (the kill-loop test runs many backups).
        var locking = opts["target"] == "null" ? LockOptions.Default with { CheckWait = TimeSpan.Zero }
            : opts.TryGetValue("lock-check-ms", out var ms) ? LockOptions.Default with { CheckWait = TimeSpan.FromMilliseconds(int.Parse(ms)) }
            : null;
        var result = await new BackupEngine(bs, null, locking).RunAsync(new BackupRequest
        {
            VolumeName = opts["volume"],
            SnapshotName = opts["snapshot"],
            Source = source,
            Mode = opts["mode"] == "full" ? BackupMode.Full : BackupMode.Incremental,
            CompressionMethod = opts.GetValueOrDefault("compression", "lz4"),
            BlockSize = int.Parse(opts.GetValueOrDefault("block-size-mib", "2")) << 20,
            UseChangeCache = !opts.ContainsKey("no-cache"),
            ChangeCacheDirectory = opts.GetValueOrDefault("cache-dir"),
            UploadConcurrency = bs.Url.Driver.DefaultConcurrency,
        }, null, CancellationToken.None);
        WriteJson(opts["json"], new
        {
            Step = "backup", Seconds = clock.Elapsed.TotalSeconds, result.Backup.Name, result.Counters, Requests = store.Snapshot(),
            result.DiffBaseSnapshot, result.BlocksChanged,
            DataBytes = (result.Counters.BlocksRead - result.Counters.ZeroBlocksSkipped) * ((long)int.Parse(opts.GetValueOrDefault("block-size-mib", "2")) << 20),
        });
        break;
    }
    case "restore":
    {
        var (bs, store) = OpenTarget(opts);
        string backup = opts["backup"];
        if (backup == "latest") backup = (await bs.GetVolumeAsync(opts["volume"], CancellationToken.None)).LastBackupName;
        if (File.Exists(opts["output"])) File.Delete(opts["output"]);
        var result = await new RestoreEngine(bs).RunAsync(new RestoreRequest
        {
            VolumeName = opts["volume"], BackupName = backup, OutputPath = opts["output"], Overwrite = true,
            Concurrency = bs.Url.Driver.DefaultConcurrency,
        }, null, CancellationToken.None);
        WriteJson(opts["json"], new { Step = "restore", Seconds = clock.Elapsed.TotalSeconds, result.BlocksRestored, result.BytesDownloaded, result.Size, Requests = store.Snapshot() });
        break;
    }
    case "export":
    {
        var (bs, store) = OpenTarget(opts);
        string backup = opts["backup"];
        if (backup == "latest") backup = (await bs.GetVolumeAsync(opts["volume"], CancellationToken.None)).LastBackupName;
        var session = await ExportSession.StartAsync(bs, new ExportRequest
        {
            Backups = new[] { (opts["volume"], backup) },
            Endpoint = ExportEndpoint.Unix(opts["socket"]),
            CacheBytes = long.Parse(opts.GetValueOrDefault("cache-mib", "64")) << 20,
            Fetchers = opts.TryGetValue("fetchers", out var f) ? int.Parse(f) : null,
        }, CancellationToken.None);
        // Time the runtime spent compiling, by the time the export was ready and in all (it compiles hot code again as it serves).
        double jitAtReady = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds;
        long methodsAtReady = System.Runtime.JitInfo.GetCompiledMethodCount();
        File.WriteAllText(opts["ready"], session.Endpoint.UriOf(session.Exports[0].Name));
        while (!File.Exists(opts["stop"])) await Task.Delay(50);
        var served = session.Exports[0];
        await session.StopAsync();
        WriteJson(opts["json"], new
        {
            Step = "export", Seconds = clock.Elapsed.TotalSeconds, served.BytesRead, served.BlocksFetched, served.BytesFetched, served.FailedReads,
            Requests = store.Snapshot(), Warnings = session.DrainWarnings(), CacheBuffers = served.Reader.Cache.BuffersAllocated,
            HashedBlocks = served.Reader.Checksums.Hashed.Blocks, HashGroups = served.Reader.Checksums.Hashed.Groups,
            AllocatedMB = GC.GetTotalAllocatedBytes() >> 20, Gen0 = GC.CollectionCount(0), Gen1 = GC.CollectionCount(1), Gen2 = GC.CollectionCount(2),
            JitMs = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds, JitMethods = System.Runtime.JitInfo.GetCompiledMethodCount(), JitMsAtReady = jitAtReady, JitMethodsAtReady = methodsAtReady,
        });
        break;
    }
    case "catalog-generate":
    case "catalog-list":
    case "catalog-retain":
    {
        var (bs, counter) = OpenTarget(opts);
        int backups = int.Parse(opts.GetValueOrDefault("backups", "5000")), blocks = int.Parse(opts.GetValueOrDefault("blocks", "50000"));
        WriteJson(opts["json"], command switch
        {
            "catalog-generate" => await CatalogScaleBench.GenerateAsync(bs, opts["volume"], backups, blocks),
            "catalog-list" => await CatalogScaleBench.ListAsync(bs, counter, opts["volume"]),
            _ => await CatalogScaleBench.RetainAsync(bs, counter, opts["volume"], int.Parse(opts["keep-last"]), backups, blocks),
        });
        break;
    }
    default:
        Console.Error.WriteLine("usage: generate | mutate | extract | backup | restore | export | catalog-generate | catalog-list | catalog-retain (see Program.cs)");
        return 2;
}
return 0;

// The target of a step, with every request it makes counted: null (discard), a folder, or s3://bucket@region/prefix/
// (with --endpoint, and --ca-cert for a server with a self-signed certificate; keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
static (Backupstore Store, CountingStore Counter) OpenTarget(Dictionary<string, string> opts)
{
    string target = opts["target"];
    if (target == "null")
    {
        var counter = new CountingStore(new NullStore());
        return (new Backupstore(counter, TargetUrl.Parse("/dev/null/bench")), counter);
    }
    var url = TargetUrl.Parse(target);
    var definition = new BackupTargetDefinition("bench", url.Canonical, DateTimeOffset.UtcNow);
    if (url.Driver is S3Driver) definition = definition.WithS3(new S3TargetSettings { EndpointUrl = opts.GetValueOrDefault("endpoint"), CACertificatePath = opts.GetValueOrDefault("ca-cert") });
    var opened = Backupstore.Open(url, definition);
    // --block-sync per-file: the folder store's other way of making blocks durable, to measure the two side by side.
    IObjectStore store = opened.Store is FileSystemStore folder && opts.GetValueOrDefault("block-sync") == "per-file"
        ? new FileSystemStore(folder.RootPath, BlockSyncStrategy.PerFile)
        : opened.Store;
    var counting = new CountingStore(store);
    return (new Backupstore(counting, opened.Url), counting);
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var d = new Dictionary<string, string>();
    for (int i = 1; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--")) continue;
        string key = args[i][2..];
        if (i + 1 < args.Length && !args[i + 1].StartsWith("--")) d[key] = args[++i];
        else d[key] = "true";
    }
    return d;
}

static void WriteJson(string path, object value) =>
    File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
