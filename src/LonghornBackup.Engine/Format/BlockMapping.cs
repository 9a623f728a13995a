namespace LonghornBackup.Engine.Format;

/// <summary>One entry of a backup's block map: the block at <see cref="Offset"/> has content <see cref="BlockChecksum"/>.</summary>
public readonly record struct BlockMapping(long Offset, string BlockChecksum);
