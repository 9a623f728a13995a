namespace LonghornBackup.Engine.Backup;

/// <summary>What one backup did, counted by the engine (the benchmark and the tests read these).</summary>
public sealed class BackupCounters
{
    internal long bytesRead, blocksRead, zeroBlocks, blocksHashed, blocksUploaded, newBlocks, reUploadedBlocks,
        existingBlocksSkipped, duplicateBlocksInBackup, checksumsFromCache, bytesWritten, newlyUploadedBytes, reUploadedBytes,
        blocksVerifiedInStore;

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
    /// <summary>
    /// Stored blocks read back and found whole instead of being sent again: blocks another run left in flight, and on
    /// a store without atomic writes every block a full backup would otherwise overwrite.
    /// </summary>
    public long BlocksVerifiedInStore => blocksVerifiedInStore;
    public long DuplicateBlocksInBackup => duplicateBlocksInBackup;
    public long BytesWritten => bytesWritten;
    public long NewlyUploadedDataSize => newlyUploadedBytes;
    public long ReUploadedDataSize => reUploadedBytes;
}
