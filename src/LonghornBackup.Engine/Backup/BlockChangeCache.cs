using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Backup;

/// <summary>
/// A local record, per target and volume, of each block's fast 128-bit hash (XXH128) and Longhorn checksum at the
/// last backup. An incremental backup whose block still has the same XXH128 reuses the checksum and skips SHA-512,
/// the slow part of reading an unchanged volume. The cache is trusted only while it describes exactly the store's
/// last backup (same name, same block size, same checksum at every offset); anything else discards it, so a stale
/// or foreign cache can cost speed but never a changed block.
/// </summary>
internal sealed class BlockChangeCache
{
    private const string Magic = "LHBCACHE1";
    public const string DirectoryVariable = "LONGHORNBACKUP_CACHE_DIR";
    private const int EntrySize = 8 + 16 + 32;

    private readonly Dictionary<long, (UInt128 Fast, string Checksum)> _entries;

    private BlockChangeCache(string backupName, int blockSize, Dictionary<long, (UInt128, string)> entries)
    {
        BackupName = backupName;
        BlockSize = blockSize;
        _entries = entries;
    }

    public string BackupName { get; }
    public int BlockSize { get; }
    public int Count => _entries.Count;

    public bool TryGetChecksum(long offset, UInt128 fastHash, out string checksum)
    {
        if (_entries.TryGetValue(offset, out var e) && e.Fast == fastHash) { checksum = e.Checksum; return true; }
        checksum = "";
        return false;
    }

    public static string DefaultDirectory()
    {
        string? overridden = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "LonghornBackup", "block-cache");
    }

    public static string PathFor(string directory, string targetUrl, string volumeName) =>
        Path.Combine(directory, Checksum.OfString(targetUrl + "\n" + volumeName)[..32] + ".cache");

    /// <summary>The cache for <paramref name="lastBackup"/>, or null when none exists or it does not match it exactly.</summary>
    public static BlockChangeCache? LoadTrusted(string path, BackupConfig? lastBackup, int blockSize)
    {
        if (lastBackup is null || lastBackup.IsInProgress || !File.Exists(path)) return null;
        try
        {
            var cache = Read(path);
            if (cache is null || cache.BackupName != lastBackup.Name || cache.BlockSize != blockSize
                || cache._entries.Count != lastBackup.Blocks.Count) return null;
            foreach (var b in lastBackup.Blocks)
                if (!cache._entries.TryGetValue(b.Offset, out var e) || e.Checksum != b.BlockChecksum) return null;
            return cache;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException)
        {
            return null;   // an unreadable cache only costs speed
        }
    }

    private static BlockChangeCache? Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0) return null;
        using var header = JsonDocument.Parse(bytes.AsMemory(0, newline));
        var h = header.RootElement;
        if (h.GetProperty("Magic").GetString() != Magic) return null;
        string backup = h.GetProperty("Backup").GetString() ?? "";
        int blockSize = h.GetProperty("BlockSize").GetInt32();
        int count = h.GetProperty("Count").GetInt32();
        var body = bytes.AsSpan(newline + 1);
        if (body.Length != count * EntrySize) return null;
        var entries = new Dictionary<long, (UInt128, string)>(count);
        for (int i = 0; i < count; i++)
        {
            var e = body.Slice(i * EntrySize, EntrySize);
            long offset = BinaryPrimitives.ReadInt64LittleEndian(e);
            var fast = new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]));
            entries[offset] = (fast, Convert.ToHexString(e[24..]).ToLowerInvariant());
        }
        return new BlockChangeCache(backup, blockSize, entries);
    }

    /// <summary>Records the blocks of a finished backup; written atomically, failures ignored (the cache is an optimisation).</summary>
    public static void Save(string path, string backupName, int blockSize, IReadOnlyCollection<(long Offset, UInt128 Fast, string Checksum)> blocks)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var header = JsonSerializer.Serialize(new { Magic, Backup = backupName, BlockSize = blockSize, Count = blocks.Count });
            var buffer = new byte[Encoding.UTF8.GetByteCount(header) + 1 + blocks.Count * EntrySize];
            int pos = Encoding.UTF8.GetBytes(header, buffer);
            buffer[pos++] = (byte)'\n';
            foreach (var (offset, fast, checksum) in blocks)
            {
                var e = buffer.AsSpan(pos, EntrySize);
                BinaryPrimitives.WriteInt64LittleEndian(e, offset);
                BinaryPrimitives.WriteUInt64LittleEndian(e[8..], (ulong)(fast >> 64));
                BinaryPrimitives.WriteUInt64LittleEndian(e[16..], (ulong)fast);
                Convert.FromHexString(checksum).CopyTo(e[24..]);
                pos += EntrySize;
            }
            string temp = path + ".tmp." + Environment.ProcessId;
            File.WriteAllBytes(temp, buffer);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public static void Delete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
