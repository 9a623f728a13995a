namespace LonghornBackup.Engine.Export;

/// <summary>One backup served under one export name, with what its reads have done so far.</summary>
public sealed class BackupExport
{
    internal BackupExport(string name, BackupBlockReader reader, string targetUrl)
    {
        Name = name;
        Reader = reader;
        BackupUrl = targetUrl;
    }

    internal BackupBlockReader Reader { get; }

    /// <summary>The NBD export name clients ask for (the backup's name, unless two served backups share it).</summary>
    public string Name { get; }
    public string VolumeName => Reader.VolumeName;
    public string BackupName => Reader.BackupName;
    /// <summary>The backup's URL on its target.</summary>
    public string BackupUrl { get; }
    /// <summary>Size of the served image in bytes (the volume's size).</summary>
    public long Size => Reader.Size;
    public int BlockSize => Reader.BlockSize;
    /// <summary>Bytes of image data sent to clients.</summary>
    public long BytesRead => Reader.BytesRead;
    /// <summary>Blocks fetched from the store (and verified).</summary>
    public long BlocksFetched => Reader.BlocksFetched;
    /// <summary>Stored (compressed) bytes fetched from the store.</summary>
    public long BytesFetched => Reader.BytesFetched;
    /// <summary>Reads answered with EIO because a block they needed is missing or corrupt.</summary>
    public long FailedReads => Reader.FailedReads;

    /// <summary>For NBD_INFO_DESCRIPTION and NBD_OPT_LIST.</summary>
    internal string Description => $"LonghornBackup backup {BackupName} of volume {VolumeName} (read-only)";
}
