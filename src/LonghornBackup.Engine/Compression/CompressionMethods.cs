using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Compression;

/// <summary>The three methods Longhorn knows, and the read fallback between gzip and lz4 (docs/backupstore-format.md §3.3).</summary>
public static class CompressionMethods
{
    public const string None = "none";
    public const string Gzip = "gzip";
    public const string Lz4 = "lz4";
    public const string Default = Lz4;

    private static readonly ICompressor NoneInstance = new NoCompressor();
    private static readonly ICompressor GzipInstance = new GzipCompressor();
    private static readonly ICompressor Lz4Instance = new Lz4FrameCompressor();

    public static IReadOnlyList<string> All { get; } = new[] { Lz4, Gzip, None };

    public static ICompressor Get(string method) => method switch
    {
        None => NoneInstance,
        Gzip => GzipInstance,
        Lz4 => Lz4Instance,
        _ => throw new LonghornBackupException(ErrorIds.InvalidCompressionMethod, ErrorKind.InvalidArgument,
            $"Compression method '{method}' is not supported: use lz4, gzip or none.", method),
    };

    /// <summary>
    /// The decoder for stored bytes of a volume using <paramref name="configured"/>. Longhorn retries gzip data as lz4
    /// and lz4 data as gzip when the configured one fails on the header; the magic bytes tell the same thing up front.
    /// There is no fallback to or from "none".
    /// </summary>
    public static ICompressor ForStoredBlock(string configured, ReadOnlySpan<byte> stored)
    {
        if (configured == None) return NoneInstance;
        if (stored.Length >= 4 && stored[0] == 0x04 && stored[1] == 0x22 && stored[2] == 0x4D && stored[3] == 0x18) return Lz4Instance;
        if (stored.Length >= 2 && stored[0] == 0x1F && stored[1] == 0x8B) return GzipInstance;
        return Get(configured);
    }
}
