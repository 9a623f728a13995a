using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>Availability of a network store: one listing of backupstore/ within the timeout, with no retries.</summary>
public static class QuickListing
{
    public static async Task<bool> SucceedsAsync(IStoreDriver driver, TargetUrl url, BackupTargetDefinition target, TimeSpan timeout,
        StoreOpenOptions? options, CancellationToken ct)
    {
        try
        {
            var quick = new StoreOpenOptions
            {
                Environment = options?.Environment,
                WrapHttpHandler = options?.WrapHttpHandler,
                Shares = options?.Shares,
                MaxErrorRetry = 0,
                RequestTimeout = timeout,
            };
            var store = driver.Open(url, target, quick);
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(timeout + TimeSpan.FromSeconds(1));
                await store.ListAsync(StorePaths.Base, limit.Token).ConfigureAwait(false);
                return true;
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }
        }
        catch (Exception e) when (e is LonghornBackupException or OperationCanceledException)
        {
            return false;
        }
    }
}
