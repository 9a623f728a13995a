namespace LonghornBackup;

/// <summary>What Test-LhBackupTarget found: whether the target works and, if not, what is wrong and how to fix it.</summary>
public sealed class BackupTargetTestResult : BackupTargetDetails
{
    public string Name { get; init; } = "";
    public string Url { get; init; } = "";
    public string Kind { get; init; } = "";
    /// <summary>True when every check passed: backups to this target can be written and read.</summary>
    public bool Available { get; init; }
    /// <summary>The first problem found, in words; null when none.</summary>
    public string? Problem { get; init; }
    /// <summary>The problem's stable ErrorId (BucketNotFound, InvalidCredentials, AccessDenied, WrongRegion, TlsFailure, ...).</summary>
    public string? ErrorId { get; init; }
    public string? RecommendedAction { get; init; }
    /// <summary>Each step in order: Settings, List, then Write, Read and Delete of a probe object.</summary>
    public BackupTargetCheck[] Checks { get; init; } = Array.Empty<BackupTargetCheck>();
    /// <summary>Where each setting came from (credentials source, region, endpoint, addressing); never a secret.</summary>
    public string[] Sources { get; init; } = Array.Empty<string>();

    public override string ToString() => Available ? $"{Name}: available" : $"{Name}: {Problem}";
}

/// <summary>One step of a target test.</summary>
public sealed class BackupTargetCheck
{
    public string Name { get; init; } = "";
    public bool Passed { get; init; }
    public string Message { get; init; } = "";

    public override string ToString() => $"{Name}: {(Passed ? "passed" : "FAILED")} - {Message}";
}
