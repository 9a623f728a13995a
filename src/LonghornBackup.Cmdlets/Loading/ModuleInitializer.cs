using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace LonghornBackup.Loading;

/// <summary>
/// Runs when PowerShell imports the module: bridges the one assembly the cmdlets reference directly
/// (LonghornBackup.Engine) from the default context into the module's private context. The cmdlet assembly never
/// names AWSSDK or YamlDotNet types, so nothing else needs bridging (the documented "bridge assembly" pattern).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineName = "LonghornBackup.Engine";
    private static readonly string DepsDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps");
    private static readonly Lazy<ModuleLoadContext> Context = new(() => new ModuleLoadContext(DepsDirectory));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineName && File.Exists(Path.Combine(DepsDirectory, EngineName + ".dll"))
            ? Context.Value.LoadFromAssemblyName(name)
            : null;
}
