using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The manifests shared with the Pester suite (tests/Pester/manifests): Longhorn's two documentation examples, and
/// the table of invalid manifests. Each invalid file starts with comments saying what error it must give.
/// </summary>
internal static class ManifestTestFiles
{
    public static string Folder { get; } = Find();

    public static string SeedIncremental => File.ReadAllText(Path.Combine(Folder, "backup-incremental.yaml"));
    public static string SeedFull => File.ReadAllText(Path.Combine(Folder, "backup-full.yaml"));

    public static IEnumerable<object[]> InvalidCaseNames() =>
        Directory.GetFiles(Path.Combine(Folder, "invalid"), "*.yaml").Order(StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    public static InvalidCase LoadInvalid(string fileName)
    {
        string path = Path.Combine(Folder, "invalid", fileName);
        string text = File.ReadAllText(path);
        var header = text.Split('\n').TakeWhile(l => l.StartsWith('#'))
            .Select(l => l.TrimStart('#', ' ').Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        return new InvalidCase(fileName, path, text, header["case"], int.Parse(header["document"]), header["field"],
            int.Parse(header["line"]), header["message"], header.GetValueOrDefault("options", "").Contains("no-volume-name"));
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string p = Path.Combine(dir.FullName, "tests", "Pester", "manifests");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/Pester/manifests was not found above the test binaries.");
    }
}

internal sealed record InvalidCase(string FileName, string Path, string Text, string Description, int Document, string Field,
    int Line, string Message, bool NoVolumeName)
{
    /// <summary>Parses and plans the manifest as New-LhBackup does, with -VolumeName vol unless the case says otherwise.</summary>
    public IReadOnlyList<PlannedBackup> Apply() =>
        BackupManifestPlanner.Plan(ManifestParser.Parse(Text, Path, ManifestKinds.Backup).Backups,
            new BackupManifestOverrides { VolumeName = NoVolumeName ? null : "vol", DataPath = "/dev/null" });
}
