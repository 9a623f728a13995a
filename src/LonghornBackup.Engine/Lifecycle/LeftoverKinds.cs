namespace LonghornBackup.Engine.Lifecycle;

/// <summary>The kinds of leftovers an interrupted run leaves in a volume's folder, found and removed in this order.</summary>
public static class LeftoverKinds
{
    public static IReadOnlyList<ILeftoverKind> All { get; } = new ILeftoverKind[]
    {
        InProgressBackupKind.Instance,
        TornBackupKind.Instance,
        InFlightRecordKind.Instance,
        StaleLockKind.Instance,
        TemporaryFileKind.Instance,
    };

    /// <summary>
    /// What every removal (Remove-LhBackup, retention) clears before it collects garbage: all but the torn backup
    /// configs, whose search reads every config (Repair-LhBackupVolume does).
    /// </summary>
    public static IReadOnlyList<ILeftoverKind> Routine { get; } = All.Where(k => k != TornBackupKind.Instance).ToList();

    /// <summary>The noun for messages of the kind named <paramref name="kind"/> ("in-progress backup").</summary>
    public static string NounOf(string kind) => All.FirstOrDefault(k => k.Name == kind)?.Noun ?? kind;

    /// <summary>
    /// Deletes the leftover's object if it is still as it was found (same time, same size): one that was written since
    /// belongs to someone alive. False when it is gone or changed.
    /// </summary>
    public static async Task<bool> DeleteIfUnchangedAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct)
    {
        var now = await scan.Store.Store.StatAsync(leftover.Key, ct).ConfigureAwait(false);
        if (now is not { } info || info.LastModified != leftover.Written || info.Size != leftover.Size) return false;
        await scan.Store.Store.DeleteAsync(leftover.Key, ct).ConfigureAwait(false);
        return true;
    }
}
