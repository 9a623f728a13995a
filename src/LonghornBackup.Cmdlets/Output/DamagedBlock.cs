namespace LonghornBackup;

/// <summary>A block Restore-LhBackup -SkipCorruptBlocks wrote as zeros: where, how much, which block and why.</summary>
public sealed class DamagedBlock
{
    /// <summary>The first offset written as zeros (a block repeated in the image has several, see <see cref="Offsets"/>).</summary>
    public long Offset { get; init; }
    public long[] Offsets { get; init; } = Array.Empty<long>();
    /// <summary>Bytes of zeros at each offset.</summary>
    public int Size { get; init; }
    public string Checksum { get; init; } = "";
    /// <summary>"Missing" (not in the store) or "Corrupt" (failed its checksum on every read).</summary>
    public string Reason { get; init; } = "";
    public string Detail { get; init; } = "";

    public override string ToString() => $"{Offset}+{Size}: {Reason}";
}
