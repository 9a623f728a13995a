namespace LonghornBackup.Engine.Blocks;

/// <summary>
/// Set operations on sorted, disjoint lists of byte ranges. Extent lists stay proportional to the number of extents,
/// never to the size of the volume, so a sparse 1 TiB volume costs what its few extents cost.
/// </summary>
public static class RangeSet
{
    /// <summary>Ranges covered by either list, merged where they touch.</summary>
    public static List<DataRange> Union(IReadOnlyList<DataRange> a, IReadOnlyList<DataRange> b)
    {
        var result = new List<DataRange>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            var next = j >= b.Count || (i < a.Count && a[i].Start <= b[j].Start) ? a[i++] : b[j++];
            if (next.Length <= 0) continue;
            if (result.Count > 0 && result[^1].End >= next.Start)
            {
                if (next.End > result[^1].End) result[^1] = new DataRange(result[^1].Start, next.End - result[^1].Start);
            }
            else result.Add(next);
        }
        return result;
    }

    /// <summary>The parts of <paramref name="a"/> that <paramref name="b"/> does not cover.</summary>
    public static List<DataRange> Subtract(IReadOnlyList<DataRange> a, IReadOnlyList<DataRange> b)
    {
        var result = new List<DataRange>();
        int j = 0;
        foreach (var r in a)
        {
            long start = r.Start;
            while (j < b.Count && b[j].End <= start) j++;
            int k = j;
            while (start < r.End)
            {
                if (k >= b.Count || b[k].Start >= r.End)
                {
                    result.Add(new DataRange(start, r.End - start));
                    break;
                }
                if (b[k].Start > start) result.Add(new DataRange(start, b[k].Start - start));
                start = Math.Max(start, b[k].End);
                k++;
            }
        }
        return result;
    }

    /// <summary>Total bytes of a list of disjoint ranges.</summary>
    public static long TotalLength(IReadOnlyList<DataRange> ranges)
    {
        long total = 0;
        foreach (var r in ranges) total += r.Length;
        return total;
    }
}
