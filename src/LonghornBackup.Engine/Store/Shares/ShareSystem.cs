using System.Runtime.InteropServices;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// The machine as the share drivers see it: its mount table, how commands run, which mounts the module made, where
/// Longhorn's mount points are, and whether this process may mount. Tests give their own.
/// </summary>
public sealed class ShareSystem
{
    public ShareSystem(Func<MountTable> readTable, IMountRunner runner, MountRecords records, string mountRoot, bool canMount, bool isWindows)
    {
        ReadTable = readTable;
        Runner = runner;
        Records = records;
        MountRoot = mountRoot;
        CanMount = canMount;
        IsWindows = isWindows;
    }

    /// <summary>This machine: /proc/self/mountinfo, real commands, mounts.json beside targets.json, Longhorn's mount root.</summary>
    public static ShareSystem Current() => new(
        () => MountTable.Read(), ProcessMountRunner.Instance,
        new MountRecords(Path.Combine(TargetRegistry.DefaultConfigDirectory(), "mounts.json")),
        ShareLocation.LonghornMountRoot, OperatingSystem.IsLinux() && IsRoot(), OperatingSystem.IsWindows());

    public Func<MountTable> ReadTable { get; }
    public IMountRunner Runner { get; }
    public MountRecords Records { get; }
    public string MountRoot { get; }
    /// <summary>Linux and root: mount(8) may be run.</summary>
    public bool CanMount { get; }
    public bool IsWindows { get; }

    /// <summary>How long one mount attempt may take before it is stopped (a server that does not answer).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether this process runs as root (false where there is no libc, e.g. Windows).</summary>
    internal static bool IsRoot()
    {
        try { return geteuid() == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
