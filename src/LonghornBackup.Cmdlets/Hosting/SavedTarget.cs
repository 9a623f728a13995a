using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Hosting;

/// <summary>
/// The one way the module opens a target's store, for cmdlets and argument completers alike: the URL with the saved
/// target's settings (S3 endpoint, addressing, CA, credential source), resolved at use time. Opening the URL alone
/// would look for an S3 bucket on AWS with no keys, and fail (or find another store).
/// </summary>
internal static class SavedTarget
{
    /// <summary>
    /// How commands open stores: diagnostics to the given sink, the environment read at use time. A quick caller
    /// (Tab completion, an availability check) gives a time limit per request and gets no retries.
    /// </summary>
    public static StoreOpenOptions Options(Action<string>? diagnostics, TimeSpan? quickRequestTimeout = null) =>
        quickRequestTimeout is { } timeout
            ? new() { Diagnostics = diagnostics, MaxErrorRetry = 0, RequestTimeout = timeout }
            : new() { Diagnostics = diagnostics };

    /// <summary>Opens <paramref name="url"/> with the settings of <paramref name="definition"/> (null: a URL that is no saved target).</summary>
    public static Backupstore Open(TargetUrl url, BackupTargetDefinition? definition, StoreOpenOptions options) =>
        Backupstore.Open(url, definition, options);

    /// <summary>Opens a saved target's own URL with its settings.</summary>
    public static Backupstore Open(BackupTargetDefinition definition, StoreOpenOptions options) =>
        Open(TargetUrl.Parse(definition.Url), definition, options);
}
