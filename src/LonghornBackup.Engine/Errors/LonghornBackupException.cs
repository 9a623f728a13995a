namespace LonghornBackup.Engine.Errors;

/// <summary>
/// What kind of failure an engine error is. The cmdlet layer maps each kind to a PowerShell ErrorCategory,
/// so the engine stays free of PowerShell types.
/// </summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    InvalidData,
    ResourceUnavailable,
    PermissionDenied,
    InvalidOperation,
    OperationStopped,
    WriteError,
    ReadError,
    NotImplemented,
    AuthenticationError,
    SecurityError,
}

/// <summary>
/// The one exception type the engine throws on purpose. <see cref="ErrorId"/> is stable: scripts catch it by id
/// (it becomes the ErrorRecord's FullyQualifiedErrorId), so never rename an id.
/// </summary>
public class LonghornBackupException : Exception
{
    public LonghornBackupException(string errorId, ErrorKind kind, string message, object? target = null,
        string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        TargetObject = target;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    public object? TargetObject { get; }
    public string? RecommendedAction { get; }

    /// <summary>For <see cref="ErrorIds.OperationCancelled"/>: what the stopped operation had done, so its caller can say what was kept.</summary>
    public CancelledWork? Cancelled { get; init; }
}
