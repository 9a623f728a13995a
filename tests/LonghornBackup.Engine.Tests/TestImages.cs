using System.IO.Compression;
using System.Security.Cryptography;

namespace LonghornBackup.Engine.Tests;

/// <summary>Small raw images for backups: sparse files written with FileStream.SetLength, data at chosen offsets.</summary>
internal static class TestImages
{
    public const int MiB = 1 << 20;
    public const int Block = 2 * MiB;

    public static string FixtureRoot { get; } = FindFixture();

    /// <summary>Incompressible bytes, reproducible from the seed.</summary>
    public static byte[] RandomBytes(int seed, int length = Block)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Bytes that compress (a small alphabet in runs) but are not all zero.</summary>
    public static byte[] CompressibleBytes(int seed, int length = Block)
    {
        var rng = new Random(seed);
        var b = new byte[length];
        int i = 0;
        while (i < length)
        {
            byte v = (byte)rng.Next(1, 8);
            int run = rng.Next(1, 64);
            for (int j = 0; j < run && i < length; j++) b[i++] = v;
        }
        return b;
    }

    /// <summary>Creates a sparse image of <paramref name="size"/> bytes with the given data written at the given offsets.</summary>
    public static string Create(string path, long size, params (long Offset, byte[] Data)[] writes)
    {
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            fs.SetLength(size);
            foreach (var (offset, data) in writes)
            {
                fs.Position = offset;
                fs.Write(data);
            }
        }
        return path;
    }

    /// <summary>Writes data into an existing image (changes blocks between backups).</summary>
    public static void Write(string path, long offset, byte[] data)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.Write(data);
    }

    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(fs)).ToLowerInvariant();
    }

    /// <summary>SHA-256 of the image followed by zeros up to <paramref name="length"/> bytes.</summary>
    public static string Sha256Padded(string path, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var fs = File.OpenRead(path))
        {
            var buf = new byte[MiB];
            int n;
            while ((n = fs.Read(buf)) > 0) sha.AppendData(buf, 0, n);
        }
        long pad = length - new FileInfo(path).Length;
        var zeros = new byte[MiB];
        while (pad > 0)
        {
            int n = (int)Math.Min(zeros.Length, pad);
            sha.AppendData(zeros, 0, n);
            pad -= n;
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Unpacks a .img.gz into a sparse file: all-zero 64 KiB chunks become holes.</summary>
    public static string GunzipSparse(string gzPath, string destination)
    {
        const int chunk = 64 * 1024;
        using var input = new GZipStream(File.OpenRead(gzPath), CompressionMode.Decompress);
        using var output = new FileStream(destination, FileMode.Create, FileAccess.Write);
        var buf = new byte[chunk];
        long pos = 0;
        while (true)
        {
            int filled = 0;
            while (filled < chunk)
            {
                int n = input.Read(buf, filled, chunk - filled);
                if (n == 0) break;
                filled += n;
            }
            if (filled == 0) break;
            if (buf.AsSpan(0, filled).ContainsAnyExcept((byte)0))
            {
                output.Position = pos;
                output.Write(buf, 0, filled);
            }
            pos += filled;
            if (filled < chunk) break;
        }
        output.SetLength(pos);
        return destination;
    }

    /// <summary>Every *.blk file below a folder, as full paths.</summary>
    public static string[] BlockFiles(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.blk", SearchOption.AllDirectories) : Array.Empty<string>();

    private static string FindFixture()
    {
        string? overridden = Environment.GetEnvironmentVariable("LHB_FIXTURE_DIR");
        if (!string.IsNullOrEmpty(overridden) && Directory.Exists(overridden)) return overridden;
        // The fixture lives in the repository (tests/fixtures/longhorn-backupstore): walk up from the test binaries.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string p = Path.Combine(dir.FullName, "tests", "fixtures", "longhorn-backupstore");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException(
            "The Longhorn backupstore fixture (tests/fixtures/longhorn-backupstore in the repository) was not found; set LHB_FIXTURE_DIR.");
    }
}
