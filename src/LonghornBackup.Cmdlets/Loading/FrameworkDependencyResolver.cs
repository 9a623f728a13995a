#if !NET
using System.Reflection;

namespace LonghornBackup.Loading;

/// <summary>
/// Windows PowerShell 5.1: the engine and its dependencies (AWSSDK, YamlDotNet, System.Memory, System.Text.Json ...)
/// load from the module's own deps/ folder when the runtime cannot find them. This also does the work of binding
/// redirects for the System.* family, which a module cannot ship in an app.config.
/// </summary>
internal static class FrameworkDependencyResolver
{
    public static Assembly? Resolve(object? sender, ResolveEventArgs args)
    {
        string name = new AssemblyName(args.Name).Name!;
        string path = Path.Combine(ModuleInitializer.DepsDirectory, name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
}
#endif
