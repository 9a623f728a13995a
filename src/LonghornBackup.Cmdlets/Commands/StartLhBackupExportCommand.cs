using System.Management.Automation;
using System.Net;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Export;

namespace LonghornBackup.Commands;

/// <summary>
/// Serves backups as read-only NBD block devices, fetching and verifying blocks on demand, until
/// Stop-LhBackupExport, the end of the session, or (with -Wait) Ctrl+C.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "LhBackupExport", DefaultParameterSetName = UnixSocket)]
[OutputType(typeof(BackupExport))]
public sealed class StartLhBackupExportCommand : LhTargetCmdlet
{
    private const string UnixSocket = "UnixSocket", TcpPort = "TcpPort";
    private readonly List<(string Target, string Volume, string Backup)> _backups = new();
    private readonly ManualResetEventSlim _stopRequested = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackupName")]
    [ArgumentCompleter(typeof(Completion.BackupNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.VolumeNameCompleter))]
    public string VolumeName { get; set; } = "";

    /// <summary>The Unix socket to listen on; default a new socket in $XDG_RUNTIME_DIR (else the temp folder).</summary>
    [Parameter(ParameterSetName = UnixSocket)]
    public string? SocketPath { get; set; }

    /// <summary>Listen on this TCP port instead of a Unix socket (0 picks a free one).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TcpPort)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The address of the TCP listener; 127.0.0.1 unless given (another address warns).</summary>
    [Parameter(ParameterSetName = TcpPort)]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Memory for blocks per served backup: fetch buffers, then the cache of verified blocks (at least four).</summary>
    [Parameter]
    [ValidateRange(1L, 1L << 40)]
    public long CacheSize { get; set; } = ExportRequest.DefaultCacheBytes;

    /// <summary>Blocks fetched and verified at once per served backup.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int? Concurrency { get; set; }

    [Parameter]
    [ValidateRange(0, Hosting.LockTimeouts.MaxSeconds)]
    public int? LockTimeout { get; set; }

    [Parameter]
    public SwitchParameter IncludeBlocksBeyondVolumeSize { get; set; }

    /// <summary>Serve in the foreground until Ctrl+C (scheduled tasks, containers), writing warnings as they come.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    protected override void ProcessRecord() => _backups.Add((Target, VolumeName, Name));

    protected override void EndProcessing()
    {
        var started = new List<ExportSession>();
        try
        {
            foreach (var group in _backups.Distinct().GroupBy(b => b.Target, StringComparer.Ordinal))
            {
                var session = Start(group.Key, group.Select(b => (b.Volume, b.Backup)).ToList());
                if (session is null) continue;
                started.Add(session);
                foreach (var export in BackupExport.Of(session)) WriteObject(export);
            }
            if (Wait && started.Count > 0) ServeInForeground(started);
        }
        finally
        {
            if (Wait) foreach (var s in started) s.StopAsync().GetAwaiter().GetResult();
            base.EndProcessing();
        }
    }

    protected override void StopProcessing()
    {
        _stopRequested.Set();
        base.StopProcessing();
    }

    private ExportSession? Start(string target, IReadOnlyList<(string VolumeName, string BackupName)> backups)
    {
        var endpoint = Endpoint();
        if (endpoint.IsReachableFromOtherHosts)
            WriteWarning($"The export listens on {endpoint.Address}, which other machines may reach: anyone who can connect reads the backup. There is no authentication or TLS; prefer 127.0.0.1 or a Unix socket, or a firewall.");
        Engine.Catalog.Backupstore store;
        try
        {
            var definition = Registry.Get(target);
            // The export owns its store (opened apart from this command's, which closes with the command).
            store = Hosting.SavedTarget.Open(Engine.Store.TargetUrl.Parse(definition.Url), definition, Hosting.SavedTarget.Options(Say));
        }
        catch (LonghornBackupException e)
        {
            ThrowEngineError(e);
            throw;   // not reached
        }
        var request = new ExportRequest
        {
            Backups = backups,
            Endpoint = endpoint,
            TargetName = target,
            CacheBytes = CacheSize,
            Fetchers = Concurrency ?? store.Url.Driver.DefaultConcurrency,
            LockTimeout = Hosting.LockTimeouts.FromSeconds(LockTimeout),
            Locking = Locking,
            IncludeBlocksBeyondVolumeSize = IncludeBlocksBeyondVolumeSize,
        };
        ExportSession? session = null;
        ForItem("StartBackupExport", string.Join(", ", backups.Select(b => b.BackupName)), () =>
        {
            session = RunQuick(ct => ExportSession.StartAsync(store, request, ct));   // registered by its start
            Say($"Serving {session.Exports.Count} backup(s) of target '{target}' on {endpoint} (export {session.Id}).");
        });
        return session;
    }

    private ExportEndpoint Endpoint()
    {
        if (ParameterSetName == TcpPort)
        {
            if (!IPAddress.TryParse(Address, out var address))
                ThrowEngineError(new LonghornBackupException(ErrorIds.ExportListenFailed, ErrorKind.InvalidArgument,
                    $"'{Address}' is not an IP address.", Address, "Give an address such as 127.0.0.1 or ::1."));
            return ExportEndpoint.Tcp(address!, Port);
        }
        if (SocketPath is not null) return ExportEndpoint.Unix(ResolvePath(SocketPath));
#if NET
        string folder = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } run && Directory.Exists(run) ? run : System.IO.Path.GetTempPath();
        return ExportEndpoint.Unix(System.IO.Path.Combine(folder, $"lhbackup-{Environment.ProcessId}-{Guid.NewGuid().ToString("N").Substring(0, 8)}.sock"));
#else
        return ExportEndpoint.Tcp(IPAddress.Loopback, 0);   // Windows PowerShell has no Unix sockets
#endif
    }

    /// <summary>-Wait: the pipeline thread writes the servers' warnings until Ctrl+C (or a Stop-LhBackupExport elsewhere).</summary>
    private void ServeInForeground(IReadOnlyList<ExportSession> sessions)
    {
        var allStopped = Task.WhenAll(sessions.Select(s => s.Stopped));
        while (!_stopRequested.IsSet && !allStopped.IsCompleted)
        {
            _stopRequested.Wait(250);
            if (_stopRequested.IsSet) break;
            foreach (var s in sessions)
                foreach (var warning in s.DrainWarnings()) WriteWarning(warning);
        }
    }
}
