using System.Text;

namespace LonghornBackup.Bench;

/// <summary>
/// Deterministic benchmark images: a sparse file in which about half of the 2 MiB block slots hold data, laid out in
/// runs of data and holes, filled either with seeded random bytes (incompressible) or seeded text (compressible).
/// The same seed gives the same layout for both fills.
/// </summary>
internal static class ImageGenerator
{
    public const int Slot = 2 * 1024 * 1024;

    public static void Generate(string path, long size, int seed, string fill, double density)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        fs.SetLength(size);
        var layout = new Random(seed);
        var data = new byte[Slot];
        long slots = size / Slot;
        long slot = 0;
        // Mean run length 8 slots; data runs are chosen with the requested density.
        while (slot < slots)
        {
            int run = 1 + layout.Next(16);
            bool isData = layout.NextDouble() < density;
            for (int i = 0; i < run && slot < slots; i++, slot++)
            {
                if (!isData) continue;
                Fill(data, fill, seed * 1_000_003L + slot);
                fs.Position = slot * Slot;
                fs.Write(data);
            }
        }
    }

    /// <summary>Rewrites <paramref name="percent"/>% of all block slots with new data; some of them were holes.</summary>
    public static int Mutate(string path, double percent, int seed, string fill)
    {
        long size = new FileInfo(path).Length;
        long slots = size / Slot;
        int count = (int)Math.Round(slots * percent / 100.0);
        var pick = new Random(seed);
        var chosen = new HashSet<long>();
        while (chosen.Count < count) chosen.Add(pick.NextInt64(slots));
        var data = new byte[Slot];
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        foreach (long slot in chosen.OrderBy(s => s))
        {
            Fill(data, fill, -(seed * 7_919L + slot));
            fs.Position = slot * Slot;
            fs.Write(data);
        }
        return count;
    }

    private static readonly string[] Words =
    (
        "backup volume snapshot block restore longhorn replica engine target store checksum compress data " +
        "the of and to in is that for it as with was on be by this are from at or an not have which but all " +
        "kernel driver mount export cluster node storage network request response config value label error"
    ).Split(' ');

    private static void Fill(byte[] buffer, string fill, long seed)
    {
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        if (fill == "random") { random.NextBytes(buffer); return; }
        // Compressible: lines of words and numbers (lz4 -1 gets roughly 2-3x on it).
        var text = new StringBuilder(buffer.Length + 256);
        while (text.Length < buffer.Length)
        {
            int words = 6 + random.Next(10);
            for (int w = 0; w < words; w++) text.Append(Words[random.Next(Words.Length)]).Append(' ');
            text.Append(random.Next(1_000_000)).Append('\n');
        }
        Encoding.ASCII.GetBytes(text.ToString(0, buffer.Length), buffer);
    }

    /// <summary>Copies only the data blocks of an image into a dense file: the bytes the baselines hash and compress.</summary>
    public static long ExtractData(string image, string output)
    {
        using var source = LonghornBackup.Engine.Blocks.RawImageSource.Open(image);
        using var dest = new FileStream(output, FileMode.Create, FileAccess.Write);
        var buffer = new byte[Slot];
        long written = 0;
        foreach (var range in source.GetDataRanges())
            for (long o = range.Start / Slot * Slot; o < range.End; o += Slot)
            {
                source.ReadAt(o, buffer);
                if (!buffer.AsSpan().ContainsAnyExcept((byte)0)) continue;
                dest.Write(buffer);
                written += Slot;
            }
        return written;
    }
}
