namespace LonghornBackup.Engine.Restore;

/// <summary>
/// A block a salvage restore (RestoreRequest.SkipCorruptBlocks) could not restore and wrote as zeros instead: every
/// offset it maps to, and why (it is missing from the store, or failed its checksum on every read).
/// </summary>
public sealed record DamagedBlock(string Checksum, IReadOnlyList<long> Offsets, int Size, DamageKind Kind, string Detail);

public enum DamageKind
{
    Missing,
    Corrupt,
}
