namespace LonghornBackup.Engine.Lifecycle;

/// <summary>Something an interrupted run left in a backup volume's folder, found by one of <see cref="LeftoverKinds.All"/>.</summary>
/// <param name="Kind">The name of its kind (<see cref="ILeftoverKind.Name"/>), e.g. "InProgressBackup".</param>
/// <param name="Key">The object's key in the store.</param>
/// <param name="Name">What it is called within its kind: the backup's, the lock's or the file's name.</param>
/// <param name="Written">Its modification time as the store reported it; removal checks it is still so.</param>
/// <param name="Age">How long before the scan it was written, by the clock the scan judged by.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Detail">What makes it a leftover, for messages.</param>
public sealed record Leftover(string Kind, string Key, string Name, DateTimeOffset Written, TimeSpan Age, long Size, string Detail);
