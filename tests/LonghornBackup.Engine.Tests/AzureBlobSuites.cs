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

/// <summary>
/// Backup, incremental, restore, a corrupt block repaired and a store Longhorn wrote, on Azure Blob as on every driver.
/// The lifecycle suite (retention, garbage collection, deep checks) is not repeated here to keep the suite's time:
/// it drives the store only through the operations the conformance suite checks, and AzureBlob.Tests.ps1 runs a
/// delete with garbage collection and a deep check through an Azure target end to end.
/// </summary>
[Collection("AzureBlob")]
public sealed class EngineOnAzureBlobTests : EngineOnTargetTests
{
    public EngineOnAzureBlobTests(AzuriteServer server) => T = new AzureBlobHarness(server);

    protected override TargetHarness T { get; }
}
