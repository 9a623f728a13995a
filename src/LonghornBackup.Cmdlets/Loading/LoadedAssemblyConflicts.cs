using System.Reflection;

namespace LonghornBackup.Loading;

/// <summary>
/// On Windows PowerShell 5.1 an assembly is identified by name and assembly version only: when another module
/// (AWS.Tools, typically) already loaded AWSSDK.Core 4.0.0.0 from its own folder, every later request for that
/// identity gets that copy, ours included. An older copy may lack what the engine calls, so the user is told at
/// import, with the ways out. Compiled for both targets so the rule is tested on PowerShell 7 too.
/// </summary>
internal static class LoadedAssemblyConflicts
{
    /// <summary>Dependencies whose loaded copy decides the engine's behaviour; the rest are BCL polyfills.</summary>
    private static readonly string[] Watched = ["AWSSDK.Core", "AWSSDK.S3"];

    public static IEnumerable<string> Find(IEnumerable<Assembly> loaded, string depsDirectory) =>
        Find(loaded.Where(a => !a.IsDynamic).Select(Describe), depsDirectory, ShippedVersionOf);

    internal static IEnumerable<string> Find(IEnumerable<LoadedAssembly> loaded, string depsDirectory,
        Func<string, LoadedAssembly?> shipped)
    {
        foreach (var name in Watched)
        {
            if (shipped(Path.Combine(depsDirectory, name + ".dll")) is not { } ours) continue;
            foreach (var other in loaded.Where(a => a.Name == name && a.AssemblyVersion == ours.AssemblyVersion))
            {
                if (SameFile(other.Location, ours.Location) || other.FileVersion >= ours.FileVersion) continue;
                yield return
                    $"{name} {other.FileVersion} is already loaded from '{other.Location}' (by another module, such as AWS.Tools). " +
                    $"LonghornBackup ships {name} {ours.FileVersion} with the same identity ({ours.AssemblyVersion}), and Windows PowerShell " +
                    "uses the copy loaded first, so S3 targets may fail. Import LonghornBackup before that module, start a new session " +
                    "(powershell -NoProfile, or Start-Job) for LonghornBackup, or use PowerShell 7, where each module keeps its own copy.";
            }
        }
    }

    internal readonly record struct LoadedAssembly(string Name, Version AssemblyVersion, Version FileVersion, string Location);

    private static LoadedAssembly Describe(Assembly assembly)
    {
        var name = assembly.GetName();
        string location = assembly.Location;
        return new LoadedAssembly(name.Name ?? "", name.Version ?? new Version(0, 0), FileVersionOf(location), location);
    }

    private static LoadedAssembly? ShippedVersionOf(string path)
    {
        if (!File.Exists(path)) return null;
        var name = AssemblyName.GetAssemblyName(path);
        return new LoadedAssembly(name.Name ?? "", name.Version ?? new Version(0, 0), FileVersionOf(path), path);
    }

    private static Version FileVersionOf(string path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return new Version(0, 0);
        string? text = System.Diagnostics.FileVersionInfo.GetVersionInfo(path).FileVersion;
        return Version.TryParse(text?.Split(' ')[0], out var v) ? v : new Version(0, 0);
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.OrdinalIgnoreCase);
}
