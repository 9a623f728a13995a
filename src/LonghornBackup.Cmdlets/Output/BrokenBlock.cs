namespace LonghornBackup;

/// <summary>A block that a backup needs and the store cannot give back intact, and every checked backup it breaks.</summary>
public sealed class BrokenBlock
{
    /// <summary>The block's checksum (its name in the store).</summary>
    public string Checksum { get; init; } = "";
    /// <summary>"Missing" (no block file) or "Corrupt" (cannot be decompressed, or its content does not match the checksum).</summary>
    public string Problem { get; init; } = "";
    public string Detail { get; init; } = "";
    /// <summary>The block file's key below the target root.</summary>
    public string Path { get; init; } = "";
    /// <summary>Every backup checked in the same run that references this block.</summary>
    public string[] AffectedBackups { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Checksum} ({Problem})";
}
