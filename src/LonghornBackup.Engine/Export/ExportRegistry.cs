using System.Collections.Concurrent;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// The exports running in this process, by id, so later commands find them; all are stopped (sockets closed, socket
/// files and lock files removed) when the process exits or the module is removed.
/// </summary>
public static class ExportRegistry
{
    private static readonly ConcurrentDictionary<int, ExportSession> Sessions = new();
    private static int s_nextId;
    private static int s_hooked;
#if NET
    // pwsh ends on SIGTERM (and SIGHUP) without raising ProcessExit: stop the exports first, then let it end.
    private static readonly List<System.Runtime.InteropServices.PosixSignalRegistration> SignalHooks = new();
#endif

    public static int Add(ExportSession session)
    {
        if (Interlocked.Exchange(ref s_hooked, 1) == 0) HookProcessEnd();
        session.Id = Interlocked.Increment(ref s_nextId);
        Sessions[session.Id] = session;
        return session.Id;
    }

    private static void HookProcessEnd()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
#if NET
        if (OperatingSystem.IsWindows()) return;
        foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGTERM, System.Runtime.InteropServices.PosixSignal.SIGHUP })
            SignalHooks.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, _ => StopAll()));
#endif
    }

    public static IReadOnlyList<ExportSession> All => Sessions.Values.OrderBy(s => s.Id).ToList();

    public static ExportSession? Get(int id) => Sessions.TryGetValue(id, out var s) ? s : null;

    internal static void Remove(ExportSession session) => Sessions.TryRemove(session.Id, out _);

    /// <summary>Stops every export, waiting a few seconds at most (process exit, module removal).</summary>
    public static void StopAll()
    {
        var stopping = Sessions.Values.Select(s => Task.Run(s.StopAsync)).ToArray();
        Task.WaitAll(stopping, TimeSpan.FromSeconds(10));
    }
}
