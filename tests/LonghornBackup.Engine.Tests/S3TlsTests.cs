using LonghornBackup.Engine.Store.S3;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>s3rver over HTTPS with a certificate from a private CA that the system does not trust.</summary>
public sealed class TlsS3Server : S3Server
{
    public TlsS3Server() : this(PrivateCa.Create()) { }

    private TlsS3Server(PrivateCa ca) : base(ca.ServerCertificatePem, ca.ServerKeyPem) => Ca = ca;

    public PrivateCa Ca { get; }
}

/// <summary>A CA certificate and a server certificate for 127.0.0.1 signed by it, as PEM.</summary>
public sealed record PrivateCa(string CaCertificatePem, string ServerCertificatePem, string ServerKeyPem)
{
    public static PrivateCa Create(string name = "LonghornBackup test CA")
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={name}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(6), RandomNumberGenerator.GetBytes(8));
        return new PrivateCa(ca.ExportCertificatePem(), server.ExportCertificatePem(), serverKey.ExportPkcs8PrivateKeyPem());
    }
}

/// <summary>
/// A store behind TLS with a private CA: refused as TlsFailure (with the fix) until its CA is given with
/// -CACertificatePath or AWS_CERT, then fully usable; another CA does not help.
/// </summary>
public sealed class S3TlsTests(TlsS3Server server) : IClassFixture<TlsS3Server>, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDir _dir = new("lhb-tls");

    public void Dispose() => _dir.Dispose();

    private string Pem(string name, string content)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<TargetProbeResult> Probe(S3TargetSettings settings, Dictionary<string, string>? extraEnv = null)
    {
        var env = server.Environment();
        foreach (var (k, v) in extraEnv ?? new()) env[k] = v;
        var url = S3Server.NewUrl();
        return TargetProbe.TestAsync(server.Definition(url).WithS3(settings with { EndpointUrl = server.Endpoint }),
            new StoreOpenOptions { Environment = n => env.GetValueOrDefault(n), MaxErrorRetry = 0 }, write: true, None);
    }

    [Fact]
    public async Task Without_the_stores_CA_the_connection_fails_as_TlsFailure_saying_how_to_fix_it()
    {
        var result = await Probe(new S3TargetSettings());
        Assert.Equal(ErrorIds.TlsFailure, result.Problem!.ErrorId);
        Assert.StartsWith($"The TLS connection to the S3 endpoint {server.Endpoint} failed", result.Problem.Message);
        Assert.Contains("-CACertificatePath", result.Problem.RecommendedAction);
    }

    [Fact]
    public async Task With_the_CA_from_CACertificatePath_every_check_passes()
    {
        var result = await Probe(new S3TargetSettings { CACertificatePath = Pem("ca.pem", server.Ca.CaCertificatePem) });
        Assert.True(result.Available, result.Problem?.Message);
        Assert.Equal(5, result.Checks.Count(c => c.Passed));
    }

    [Fact]
    public async Task With_the_CA_pem_in_AWS_CERT_every_check_passes()
    {
        var result = await Probe(new S3TargetSettings(), new() { ["AWS_CERT"] = server.Ca.CaCertificatePem });
        Assert.True(result.Available, result.Problem?.Message);
    }

    [Fact]
    public async Task Another_CA_is_not_trusted()
    {
        var other = PrivateCa.Create("Some other CA");
        var result = await Probe(new S3TargetSettings { CACertificatePath = Pem("other.pem", other.CaCertificatePem) });
        Assert.Equal(ErrorIds.TlsFailure, result.Problem!.ErrorId);
    }
}
