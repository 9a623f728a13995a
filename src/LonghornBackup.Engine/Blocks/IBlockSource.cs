namespace LonghornBackup.Engine.Blocks;

/// <summary>A byte range of a source that may hold data.</summary>
public readonly record struct DataRange(long Start, long Length)
{
    public long End => Start + Length;
}

/// <summary>
/// What a backup reads: a snapshot of a volume as a flat image. Sources tell where data may be (so holes of sparse
/// files are never read) and serve positional reads that are safe to issue from several threads at once.
/// </summary>
public interface IBlockSource : IDisposable
{
    /// <summary>Logical size of the image in bytes.</summary>
    long Size { get; }

    /// <summary>For messages: the file or device read.</summary>
    string Description { get; }

    /// <summary>Sorted, non-overlapping ranges that may hold data; everything else reads as zeros.</summary>
    IReadOnlyList<DataRange> GetDataRanges();

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; bytes past the end read as zeros.</summary>
    void ReadAt(long offset, Span<byte> buffer);
}
