namespace LonghornBackup.Engine.Errors;

/// <summary>Recognising a cancellation, wherever in an operation it surfaced, and reporting it with what was done.</summary>
public static class Cancellation
{
    /// <summary>
    /// Whether <paramref name="e"/> is <paramref name="ct"/>'s cancellation: the runtime's exception, or the module's
    /// OperationCancelled error a step below (a lock wait, a pipeline) already made of it.
    /// </summary>
    public static bool IsCancellation(Exception e, CancellationToken ct) =>
        ct.IsCancellationRequested && e is OperationCanceledException or LonghornBackupException { ErrorId: ErrorIds.OperationCancelled };

    /// <summary>The OperationCancelled error of an operation, carrying what it had done.</summary>
    public static LonghornBackupException Stopped(string message, object? target, CancelledWork work, Exception? inner = null) =>
        new(ErrorIds.OperationCancelled, ErrorKind.OperationStopped, message, target, inner: inner) { Cancelled = work };
}
