using LonghornBackup.Engine.Blocks;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// What every block source promises the backup pipeline, run over each kind the factory opens: data ranges sorted,
/// disjoint and inside the size; everything outside them reads as zeros; reads past the end are zeros; reads at any
/// offset and length, from many threads at once, return what the snapshot holds. Each case compares with a flat image
/// of the same snapshot made without the source under test. (Block devices go through the image source too; no
/// device can be made on this machine's kernel, so only files are covered here.)
/// </summary>
public abstract class BlockSourceConformanceTests : IDisposable
{
    private readonly TestStore _t = new();
    private readonly IBlockSource _source;
    private readonly byte[] _expected;

    protected BlockSourceConformanceTests()
    {
        var (spec, expectedImage) = Create(_t.Work);
        _source = BlockSources.Open(spec);
        _expected = File.ReadAllBytes(expectedImage);
    }

    /// <summary>What to open, and a flat image of the same snapshot made without the source under test.</summary>
    private protected abstract (BlockSourceSpec Spec, string ExpectedImage) Create(string work);

    public void Dispose()
    {
        _source.Dispose();
        _t.Dispose();
    }

    [Fact]
    public void Its_size_is_the_snapshot_size() => Assert.Equal(_expected.LongLength, _source.Size);

    [Fact]
    public void Data_ranges_are_sorted_disjoint_and_inside_the_size()
    {
        var ranges = _source.GetDataRanges();
        Assert.NotEmpty(ranges);
        long previousEnd = 0;
        foreach (var r in ranges)
        {
            Assert.True(r.Length > 0, $"empty range at {r.Start}");
            Assert.True(r.Start >= previousEnd, $"range at {r.Start} overlaps or is out of order");
            Assert.True(r.End <= _source.Size, $"range {r.Start}-{r.End} passes the size {_source.Size}");
            previousEnd = r.End;
        }
    }

    [Fact]
    public void Everything_outside_the_data_ranges_is_zero_in_the_snapshot()
    {
        long pos = 0;
        foreach (var r in _source.GetDataRanges().Append(new DataRange(_source.Size, 0)))
        {
            Assert.False(_expected.AsSpan((int)pos, (int)(r.Start - pos)).ContainsAnyExcept((byte)0),
                $"the snapshot holds data in {pos}-{r.Start}, outside every data range");
            pos = r.End;
        }
    }

    [Fact]
    public void Reads_past_the_end_are_zeros()
    {
        var buffer = new byte[3 * 4096];
        Array.Fill(buffer, (byte)0xEE);
        _source.ReadAt(_source.Size - 4096, buffer);
        Assert.Equal(_expected.AsSpan(_expected.Length - 4096).ToArray(), buffer[..4096]);
        Assert.False(buffer.AsSpan(4096).ContainsAnyExcept((byte)0));
        Array.Fill(buffer, (byte)0xEE);
        _source.ReadAt(_source.Size + TestImages.MiB, buffer);
        Assert.False(buffer.AsSpan().ContainsAnyExcept((byte)0));
    }

    [Fact]
    public void Reads_at_any_offset_and_length_return_the_snapshot_from_many_threads_at_once()
    {
        var random = new Random(42);
        var reads = Enumerable.Range(0, 400).Select(_ =>
        {
            long offset = random.NextInt64(0, _source.Size);
            int length = random.Next(1, 3 * TestImages.Block);
            return (offset, length);
        }).ToList();
        Parallel.ForEach(reads, new ParallelOptions { MaxDegreeOfParallelism = 8 }, read =>
        {
            var buffer = new byte[read.length];
            _source.ReadAt(read.offset, buffer);
            int inside = (int)Math.Max(0, Math.Min(read.length, _source.Size - read.offset));
            Assert.True(_expected.AsSpan((int)read.offset, inside).SequenceEqual(buffer.AsSpan(0, inside)),
                $"read of {read.length} bytes at {read.offset} differs from the snapshot");
            Assert.False(buffer.AsSpan(inside).ContainsAnyExcept((byte)0));
        });
    }
}

public sealed class RawImageSourceConformanceTests : BlockSourceConformanceTests
{
    private protected override (BlockSourceSpec, string) Create(string work)
    {
        // 10 MiB + 4 KiB (not a multiple of the block size), data at the start, the middle and the last sector.
        string image = TestImages.Create(Path.Combine(work, "flat.img"), 10 * TestImages.MiB + 4096,
            (0, TestImages.RandomBytes(1, 8192)), (3L * TestImages.Block + 12345, TestImages.RandomBytes(2)),
            (10L * TestImages.MiB, TestImages.RandomBytes(3, 4096)));
        return (new BlockSourceSpec { Path = image }, image);
    }
}

public sealed class ReplicaChainSourceConformanceTests : BlockSourceConformanceTests
{
    private protected override (BlockSourceSpec, string) Create(string work)
    {
        var replica = ReplicaChainTests.FiveLayers(work);
        return (new BlockSourceSpec { ReplicaPath = replica.Path, SnapshotName = "d" }, replica.ExpectedImage("d", Path.Combine(work, "expected.img")));
    }
}

public sealed class ReplicaHeadSourceConformanceTests : BlockSourceConformanceTests
{
    private protected override (BlockSourceSpec, string) Create(string work)
    {
        var replica = ReplicaChainTests.FiveLayers(work);
        return (new BlockSourceSpec { ReplicaPath = replica.Path, SnapshotName = "volume-head" },
            replica.ExpectedImage("volume-head", Path.Combine(work, "expected.img")));
    }
}
