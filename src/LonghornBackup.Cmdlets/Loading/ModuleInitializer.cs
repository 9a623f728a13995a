using System.Management.Automation;
using System.Reflection;
#if NET
using System.Runtime.Loader;
#endif

namespace LonghornBackup.Loading;

/// <summary>
/// Runs when PowerShell imports the module. On PowerShell 7 it bridges the one assembly the cmdlets reference
/// directly (LonghornBackup.Engine) from the default context into the module's private context; the cmdlet assembly
/// never names AWSSDK or YamlDotNet types, so nothing else needs bridging (the documented "bridge assembly" pattern).
/// On Windows PowerShell 5.1 there are no load contexts: dependencies resolve from deps/ through AssemblyResolve, and
/// a same-identity assembly another module loaded first is reported, because then it wins for everybody.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineName = "LonghornBackup.Engine";
    internal static readonly string DepsDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "deps");

#if NET
    private static readonly Lazy<ModuleLoadContext> Context = new(() => new ModuleLoadContext(DepsDirectory));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        StopExports();
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineName && File.Exists(Path.Combine(DepsDirectory, EngineName + ".dll"))
            ? Context.Value.LoadFromAssemblyName(name)
            : null;
#else
    public void OnImport()
    {
        AppDomain.CurrentDomain.AssemblyResolve += FrameworkDependencyResolver.Resolve;
        foreach (string warning in LoadedAssemblyConflicts.Find(AppDomain.CurrentDomain.GetAssemblies(), DepsDirectory))
            ImportWarnings.Write(warning);
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        StopExports();
        AppDomain.CurrentDomain.AssemblyResolve -= FrameworkDependencyResolver.Resolve;
    }
#endif

    /// <summary>Exports serve in the background of the session; removing the module ends them (and frees their locks).</summary>
    private static void StopExports() => Engine.Export.ExportRegistry.StopAll();
}
