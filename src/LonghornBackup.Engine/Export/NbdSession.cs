namespace LonghornBackup.Engine.Export;

/// <summary>What a connection agreed on in negotiation: the export it reads and how replies are framed.</summary>
internal sealed record NbdSession(BackupExport Export, bool StructuredReplies, bool BaseAllocation);
