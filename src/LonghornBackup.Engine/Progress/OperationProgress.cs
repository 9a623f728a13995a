namespace LonghornBackup.Engine.Progress;

/// <summary>
/// A progress report of a long engine operation. Reported from worker threads: the receiver marshals it
/// (the cmdlets queue it for the pipeline thread). Percent rises monotonically and reaches 100 only when done.
/// </summary>
public sealed record OperationProgress(
    string Activity,
    string Status,
    long BytesDone,
    long BytesTotal,
    int Percent,
    bool Completed = false);
