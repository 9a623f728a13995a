namespace LonghornBackup.Engine.Restore;

/// <summary>What a restore wrote.</summary>
/// <param name="BlocksBeyondVolume">Set when the backup maps blocks beyond the volume's recorded size and the image was
/// made larger to hold them (RestoreRequest.IncludeBlocksBeyondVolumeSize).</param>
public sealed record RestoreResult(string OutputPath, long Size, int BlocksRestored, long BytesDownloaded,
    Format.BlocksBeyondVolume? BlocksBeyondVolume = null)
{
    /// <summary>Blocks a salvage restore wrote as zeros, by first offset; empty otherwise.</summary>
    public IReadOnlyList<DamagedBlock> DamagedBlocks { get; init; } = Array.Empty<DamagedBlock>();
}
