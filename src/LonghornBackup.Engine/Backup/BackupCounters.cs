namespace LonghornBackup.Engine.Backup;

/// <summary>What one backup did, counted by the engine (the benchmark and the tests read these).</summary>
public sealed class BackupCounters
{
    internal long bytesRead, blocksRead, zeroBlocks, blocksHashed, blocksUploaded, newBlocks, reUploadedBlocks,
        existingBlocksSkipped, duplicateBlocksInBackup, checksumsFromCache, bytesWritten, newlyUploadedBytes, reUploadedBytes;

    public long BytesRead => bytesRead;
    public long BlocksRead => blocksRead;
    public long ZeroBlocksSkipped => zeroBlocks;
    /// <summary>Blocks whose SHA-512 checksum was computed.</summary>
    public long BlocksHashed => blocksHashed;
    /// <summary>Blocks unchanged since the last backup (same XXH128) whose checksum came from the change cache.</summary>
    public long ChecksumsFromCache => checksumsFromCache;
    public long BlocksUploaded => blocksUploaded;
    public long NewBlocks => newBlocks;
    public long ReUploadedBlocks => reUploadedBlocks;
    public long ExistingBlocksSkipped => existingBlocksSkipped;
    public long DuplicateBlocksInBackup => duplicateBlocksInBackup;
    public long BytesWritten => bytesWritten;
    public long NewlyUploadedDataSize => newlyUploadedBytes;
    public long ReUploadedDataSize => reUploadedBytes;
}
