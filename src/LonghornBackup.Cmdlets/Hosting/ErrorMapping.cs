using System.Management.Automation;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Hosting;

/// <summary>Maps engine errors to ErrorRecords: the engine's stable ErrorId, the matching category, the fix.</summary>
internal static class ErrorMapping
{
    public static ErrorCategory CategoryOf(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        ErrorKind.WriteError => ErrorCategory.WriteError,
        ErrorKind.ReadError => ErrorCategory.ReadError,
        ErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        ErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        ErrorKind.SecurityError => ErrorCategory.SecurityError,
        _ => ErrorCategory.NotSpecified,
    };

    public static ErrorRecord ToErrorRecord(LonghornBackupException e)
    {
        var record = new ErrorRecord(e, e.ErrorId, CategoryOf(e.Kind), e.TargetObject);
        if (e.RecommendedAction is not null)
            record.ErrorDetails = new ErrorDetails(e.Message) { RecommendedAction = e.RecommendedAction };
        return record;
    }

    /// <summary>An unexpected failure (a bug or an unmapped system error), still with a stable id.</summary>
    public static ErrorRecord Unexpected(Exception e, string operation, object? target) =>
        new(e, operation + "Failed", ErrorCategory.NotSpecified, target);
}
