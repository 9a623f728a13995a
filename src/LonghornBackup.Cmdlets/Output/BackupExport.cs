using LonghornBackup.Engine.Export;

namespace LonghornBackup;

/// <summary>
/// One backup served over NBD, as Start-LhBackupExport and Get-LhBackupExport emit it. Id names the running export
/// (one listener, possibly serving several backups) for Stop-LhBackupExport; Uri is what NBD clients take. The
/// counters are live: they read the running export each time.
/// </summary>
public sealed class BackupExport
{
    private readonly ExportSession _session;
    private readonly Engine.Export.BackupExport _export;

    internal BackupExport(ExportSession session, Engine.Export.BackupExport export)
    {
        _session = session;
        _export = export;
    }

    public int Id => _session.Id;
    /// <summary>The NBD export name (the backup's name unless two served backups share it).</summary>
    public string Name => _export.Name;
    public string Uri => _session.Endpoint.UriOf(_export.Name);
    public string VolumeName => _export.VolumeName;
    public string BackupName => _export.BackupName;
    /// <summary>Size of the served image in bytes.</summary>
    public long Size => _export.Size;
    public int BlockSize => _export.BlockSize;
    public string Target => _session.TargetName;
    public string BackupUrl => _export.BackupUrl;
    /// <summary>The Unix socket it listens on, or null for TCP.</summary>
    public string? SocketPath => _session.Endpoint.SocketPath;
    /// <summary>The TCP address and port it listens on (null and 0 for a Unix socket).</summary>
    public string? Address => _session.Endpoint.Address?.ToString();
    public int Port => _session.Endpoint.Port;
    /// <summary>"Running", or "Stopped" once Stop-LhBackupExport (or the end of the session) stopped it.</summary>
    public string State => _session.IsRunning ? "Running" : "Stopped";
    public DateTime StartedAt => _session.StartedAt;
    /// <summary>Clients connected now, to any backup of this export.</summary>
    public int Connections => _session.ConnectionsOpen;
    public long BytesRead => _export.BytesRead;
    public long BlocksFetched => _export.BlocksFetched;
    public long BytesFetched => _export.BytesFetched;
    /// <summary>Reads answered with EIO because a block they needed is missing or corrupt.</summary>
    public long FailedReads => _export.FailedReads;

    internal ExportSession Session => _session;

    public override string ToString() => Uri;

    internal static IEnumerable<BackupExport> Of(ExportSession session) => session.Exports.Select(e => new BackupExport(session, e));
}
