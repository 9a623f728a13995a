namespace LonghornBackup.Engine.Pipeline;

/// <summary>Runs a pipeline's stages together: the first stage to fail cancels the others, and its error is the one raised.</summary>
internal static class WorkerGroup
{
    public static async Task WhenAllFailFast(List<Task> tasks, CancellationTokenSource cancelOthers)
    {
        Exception? first = null;
        var pending = new List<Task>(tasks);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (done.IsFaulted || done.IsCanceled)
            {
                var e = done.IsFaulted ? done.Exception!.InnerException! : new OperationCanceledException();
                // Keep the root cause: a real error beats the cancellations it caused in the other stages.
                if (first is null || (first is OperationCanceledException && e is not OperationCanceledException)) first = e;
                cancelOthers.Cancel();
            }
        }
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }
}
