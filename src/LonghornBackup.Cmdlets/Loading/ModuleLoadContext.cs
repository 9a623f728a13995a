#if NET
using System.Reflection;
using System.Runtime.Loader;

namespace LonghornBackup.Loading;

/// <summary>
/// The module's private load context: the engine and every third-party assembly it needs (AWSSDK, YamlDotNet,
/// compression, hashing) load from bin/&lt;tfm&gt;/deps/ in here, so versions loaded by other modules (AWS.Tools,
/// powershell-yaml ...) neither break this module nor are broken by it. Anything not in deps/ (PowerShell, the BCL)
/// falls through to the default context.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    public ModuleLoadContext(string directory) : base("LonghornBackup", isCollectible: false) => _directory = directory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string path = Path.Combine(_directory, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
#endif
