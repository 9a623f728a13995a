using System.Management.Automation;

namespace LonghornBackup.Hosting;

/// <summary>
/// The parent progress bar of a command that works through several volumes ("Volume 2 of 5: pvc-1"); each volume's
/// engine progress shows as its child. Written from the pipeline thread only, and always completed.
/// </summary>
internal sealed class VolumeProgress : IDisposable
{
    private static int s_nextId = 1_000_000;
    private readonly Cmdlet _cmdlet;
    private readonly string _activity;
    private readonly int _count;
    private int _index;

    public VolumeProgress(Cmdlet cmdlet, string activity, int count)
    {
        _cmdlet = cmdlet;
        _activity = activity;
        _count = count;
        ActivityId = Interlocked.Increment(ref s_nextId);
    }

    public int ActivityId { get; }

    /// <summary>Moves to the next volume; returns the activity id its engine progress reports under.</summary>
    public int Next(string volume)
    {
        _index++;
        _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, $"Volume {_index} of {_count}: {volume}")
        {
            PercentComplete = _count == 0 ? 0 : Math.Min(100, (_index - 1) * 100 / _count),
        });
        return ActivityId;
    }

    public void Dispose() =>
        _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed, PercentComplete = 100 });
}
