namespace LonghornBackup.Engine.Targets;

/// <summary>A named backup target as persisted per user. Holds no secrets.</summary>
public sealed record BackupTargetDefinition(string Name, string Url, DateTimeOffset SetAt);
