using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>Opens an S3 target: resolves its connection, reports where each setting came from, builds the client.</summary>
internal static class S3StoreFactory
{
    public static S3Store Open(TargetUrl url, S3TargetSettings? settings, StoreOpenOptions options)
    {
        var connection = S3Connection.Resolve(url, settings, options);
        foreach (var line in connection.Describe()) options.Report(line);
        var client = S3ClientFactory.Create(connection, options);
        return new S3Store(client, connection, Http.RequestRetries.For(options), options.RequestTimeout ?? Http.RequestRetries.DefaultRequestTimeout, options.ListPageSize);
    }
}
