using System.Text.Json;

namespace LonghornBackup.Bench;

/// <summary>
/// A Longhorn replica directory for the benchmark: snapshot s1 is a generated sparse image (the base layer), s2 a
/// layer holding <c>percent</c>% of the block slots rewritten (the same slots and bytes <see cref="ImageGenerator.Mutate"/>
/// writes into a flat copy with the same seed), and an empty head on top.
/// </summary>
internal static class ReplicaGenerator
{
    /// <summary>Returns the number of 2 MiB blocks s2 rewrote.</summary>
    public static int Generate(string dir, long size, int seed, double density, double percent, int mutateSeed)
    {
        Directory.CreateDirectory(dir);
        string s1 = Path.Combine(dir, "volume-snap-s1.img"), s2 = Path.Combine(dir, "volume-snap-s2.img");
        ImageGenerator.Generate(s1, size, seed, "random", density);
        CreateSparse(s2, size);
        int changed = ImageGenerator.Mutate(s2, percent, mutateSeed, "random");
        CreateSparse(Path.Combine(dir, "volume-head-002.img"), size);
        WriteMeta(dir, "volume-snap-s1.img", "");
        WriteMeta(dir, "volume-snap-s2.img", "volume-snap-s1.img");
        WriteMeta(dir, "volume-head-002.img", "volume-snap-s2.img");
        File.WriteAllText(Path.Combine(dir, "volume.meta"), JsonSerializer.Serialize(new
        {
            Size = size, Head = "volume-head-002.img", Dirty = false, Rebuilding = false, Error = "",
            Parent = "volume-snap-s2.img", SectorSize = 512, BackingFilePath = "", Encrypted = false,
        }) + "\n");
        return changed;
    }

    private static void CreateSparse(string path, long size)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.SetLength(size);
    }

    private static void WriteMeta(string dir, string layer, string parent) =>
        File.WriteAllText(Path.Combine(dir, layer + ".meta"), JsonSerializer.Serialize(new
        {
            Name = layer, Parent = parent, Removed = false, UserCreated = true, Created = "2026-12-03T00:00:00Z", Labels = (object?)null,
        }));
}
