using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Tests;

/// <summary>The store conformance suite on the Azure Blob driver against Azurite on loopback, each test in a fresh prefix.</summary>
[Collection("AzureBlob")]
public sealed class AzureBlobStoreConformanceTests : StoreConformanceTests
{
    private readonly AzuriteServer _server;
    private readonly TargetUrl _url = AzuriteServer.NewUrl();
    private readonly Catalog.Backupstore _opened;
    private readonly List<IDisposable> _others = new();

    public AzureBlobStoreConformanceTests(AzuriteServer server)
    {
        _server = server;
        _opened = server.Open(_url);
    }

    protected override IObjectStore Store => _opened.Store;

    protected override IObjectStore Paged(int pageSize)
    {
        var paged = _server.Open(_url, listPageSize: pageSize);
        _others.Add(paged);
        return paged.Store;
    }

    public override void Dispose()
    {
        _opened.Dispose();
        foreach (var o in _others) o.Dispose();
    }
}

/// <summary>Backup, incremental, restore, delete and checks on Azure Blob, as on every driver.</summary>
[Collection("AzureBlob")]
public sealed class EngineOnAzureBlobTests : EngineOnTargetTests
{
    public EngineOnAzureBlobTests(AzuriteServer server) => T = new AzureBlobHarness(server);

    protected override TargetHarness T { get; }
}

[Collection("AzureBlob")]
public sealed class LifecycleOnAzureBlobTests : LifecycleOnTargetTests
{
    public LifecycleOnAzureBlobTests(AzuriteServer server) => T = new AzureBlobHarness(server);

    protected override TargetHarness T { get; }
}
