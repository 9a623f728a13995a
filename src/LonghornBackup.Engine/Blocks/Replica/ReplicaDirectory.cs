using System.Text.Json;
using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Blocks.Replica;

/// <summary>
/// A Longhorn v1 replica directory (docs/backupstore-format.md §10), read without a running engine: volume.meta, and every layer's
/// .img.meta. Snapshots are the layers named volume-snap-&lt;name&gt;.img; the head is volume-head-NNN.img. Layers are
/// linked child to parent by file name, from the head down to the base.
/// </summary>
public sealed class ReplicaDirectory
{
    public const string SnapshotPrefix = "volume-snap-", LayerSuffix = ".img", MetaSuffix = ".img.meta";
    /// <summary>The name that asks for the head layer (the live, writable one) instead of a snapshot.</summary>
    public const string HeadName = "volume-head";

    private static readonly Regex DirectoryName = new("^(?<volume>.+)-[0-9a-f]{8}$", RegexOptions.CultureInvariant);

    private ReplicaDirectory(string path, ReplicaInfo info, IReadOnlyDictionary<string, LayerMeta> layers)
    {
        Path = path;
        Info = info;
        Layers = layers;
    }

    public string Path { get; }
    public ReplicaInfo Info { get; }
    /// <summary>Every layer with a .meta, by file name (volume-snap-x.img, volume-head-003.img).</summary>
    public IReadOnlyDictionary<string, LayerMeta> Layers { get; }

    /// <summary>The volume name Longhorn gave the replica directory (&lt;volume&gt;-&lt;8 hex&gt;), or null.</summary>
    public string? VolumeNameFromDirectory => VolumeNameOf(Path);

    /// <summary>The volume name a replica directory's path holds (&lt;volume&gt;-&lt;8 hex&gt;), or null; the folder is not read.</summary>
    public static string? VolumeNameOf(string path) =>
        DirectoryName.Match(System.IO.Path.GetFileName(path.TrimEnd('/', '\\'))) is { Success: true } m ? m.Groups["volume"].Value : null;

    public static ReplicaDirectory Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string metaPath = System.IO.Path.Combine(full, "volume.meta");
        if (!Directory.Exists(full) || !File.Exists(metaPath))
            throw new LonghornBackupException(ErrorIds.ReplicaNotFound, ErrorKind.NotFound,
                Directory.Exists(full)
                    ? $"'{full}' is not a Longhorn replica directory: it has no volume.meta."
                    : $"The replica directory '{full}' does not exist.",
                full, "Give the folder of one replica, e.g. /var/lib/longhorn/replicas/<volume>-<8 hex>.");
        var info = Read(metaPath, ReplicaInfo.Parse);
        if (info.Size <= 0 || info.Size > Format.BlockMapRules.MaxVolumeSize)
            throw Invalid(full, $"volume.meta records an impossible volume size ({info.Size}).");
        var layers = new Dictionary<string, LayerMeta>(StringComparer.Ordinal);
        foreach (string meta in Directory.EnumerateFiles(full, "*" + MetaSuffix))
        {
            string layer = System.IO.Path.GetFileName(meta)[..^".meta".Length];
            layers[layer] = Read(meta, LayerMeta.Parse);
        }
        if (info.Head.Length == 0 || !layers.ContainsKey(info.Head))
            throw Invalid(full, $"volume.meta names the head '{info.Head}', which has no .img.meta beside it.");
        return new ReplicaDirectory(full, info, layers);
    }

    /// <summary>The snapshot a layer file holds, or null for the head and transient files.</summary>
    public static string? SnapshotNameOf(string layerFile) =>
        layerFile.StartsWith(SnapshotPrefix, StringComparison.Ordinal) && layerFile.EndsWith(LayerSuffix, StringComparison.Ordinal)
            ? layerFile[SnapshotPrefix.Length..^LayerSuffix.Length]
            : null;

    public static string LayerFileOf(string snapshotName) => SnapshotPrefix + snapshotName + LayerSuffix;

    /// <summary>The layer file a snapshot name (or <see cref="HeadName"/>) stands for; SnapshotNotFound when none.</summary>
    public string ResolveLayer(string snapshotName)
    {
        if (snapshotName == HeadName) return Info.Head;
        string file = LayerFileOf(snapshotName);
        if (Layers.ContainsKey(file) && File.Exists(System.IO.Path.Combine(Path, file))) return file;
        var known = Layers.Keys.Select(SnapshotNameOf).Where(n => n is not null).OrderBy(n => n, StringComparer.Ordinal).ToList();
        throw new LonghornBackupException(ErrorIds.SnapshotNotFound, ErrorKind.NotFound,
            $"The replica '{Path}' has no snapshot '{snapshotName}'. Its snapshots: {(known.Count == 0 ? "none" : string.Join(", ", known))}.",
            snapshotName, "List them with Get-LhSnapshot -ReplicaPath.");
    }

    /// <summary>The layer files from <paramref name="top"/> down to the base, newest first.</summary>
    public IReadOnlyList<string> ChainFrom(string top)
    {
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (string? layer = top; !string.IsNullOrEmpty(layer); layer = Layers[layer].Parent)
        {
            if (!seen.Add(layer)) throw Invalid(Path, $"the layer chain loops at '{layer}'.");
            if (!Layers.ContainsKey(layer)) throw Invalid(Path, $"'{(chain.Count > 0 ? chain[^1] : "volume.meta")}' names the layer '{layer}', which has no .img.meta.");
            if (!File.Exists(System.IO.Path.Combine(Path, layer))) throw Invalid(Path, $"the layer file '{layer}' is missing.");
            chain.Add(layer);
        }
        return chain;
    }

    /// <summary>The backing file's path, or null without one; ReplicaInvalid when it cannot be found.</summary>
    public string? BackingFile()
    {
        if (string.IsNullOrEmpty(Info.BackingFilePath)) return null;
        if (File.Exists(Info.BackingFilePath)) return Info.BackingFilePath;
        // A replica copied off its node: the backing file copied beside it.
        string beside = System.IO.Path.Combine(Path, System.IO.Path.GetFileName(Info.BackingFilePath));
        if (File.Exists(beside)) return beside;
        throw Invalid(Path, $"its backing file '{Info.BackingFilePath}' is not there (nor beside the layers).");
    }

    private static T Read<T>(string file, ParseBytes<T> parse)
    {
        try { return parse(File.ReadAllBytes(file)); }
        catch (Exception e) when (e is JsonException or FormatException or NotSupportedException)
        {
            throw Invalid(System.IO.Path.GetDirectoryName(file)!, $"'{System.IO.Path.GetFileName(file)}' is not valid: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LonghornBackupException(ErrorIds.SnapshotReadFailed, ErrorKind.ReadError, $"Cannot read '{file}': {e.Message}", file, inner: e);
        }
    }

    private delegate T ParseBytes<T>(ReadOnlySpan<byte> bytes);

    internal static LonghornBackupException Invalid(string path, string problem, Exception? inner = null) =>
        new(ErrorIds.ReplicaInvalid, ErrorKind.InvalidData, $"The replica directory '{path}' cannot be read: {problem}", path, inner: inner);
}
