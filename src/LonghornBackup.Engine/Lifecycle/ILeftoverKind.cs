namespace LonghornBackup.Engine.Lifecycle;

/// <summary>
/// One kind of leftover of interrupted runs: how to find it in a volume's folder and how to remove it. Another kind is
/// one more class and one more entry in <see cref="LeftoverKinds.All"/>; finding it without a lock (-WhatIf, the
/// confirmation), removing it under the volume's deletion lock, and Remove-LhBackup and Repair-LhBackupVolume reporting
/// it all follow from there.
/// </summary>
public interface ILeftoverKind
{
    /// <summary>Its name in output (<see cref="Leftover.Kind"/>), e.g. "InProgressBackup".</summary>
    string Name { get; }

    /// <summary>What one is, as a noun for messages, e.g. "in-progress backup".</summary>
    string Noun { get; }

    /// <summary>Every leftover of this kind in the scanned volume, by the scan's clock and age limit. Changes nothing.</summary>
    Task<IReadOnlyList<Leftover>> FindAsync(LeftoverScan scan, CancellationToken ct);

    /// <summary>
    /// Removes one leftover this kind found, under the volume's deletion lock. False when it is gone or has changed
    /// since it was found (then it was not a leftover after all, or someone else removed it).
    /// </summary>
    Task<bool> RemoveAsync(LeftoverScan scan, Leftover leftover, CancellationToken ct);
}
