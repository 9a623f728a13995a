using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Where an S3 target's region, endpoint, addressing, CA bundle, proxy and credentials come from (issue 3): the
/// target's saved settings first, then Longhorn's and AWS's environment variables, then defaults; missing named
/// profiles are errors; descriptions name sources, never secrets. No request is sent.
/// </summary>
public class S3ConnectionTests : IDisposable
{
    private const string Secret = "CANARY-secret-7c1f0e9d";
    private readonly TempDir _dir = new("lhb-s3conn");
    private readonly Dictionary<string, string> _env = new() { ["AWS_ACCESS_KEY_ID"] = "AKIAENVKEY1234", ["AWS_SECRET_ACCESS_KEY"] = Secret };

    public void Dispose() => _dir.Dispose();

    private StoreOpenOptions Options => new() { Environment = n => _env.TryGetValue(n, out var v) ? v : null };

    private S3Connection Resolve(string url = "s3://bucket/prefix/", S3TargetSettings? settings = null) =>
        S3Connection.Resolve(TargetUrl.Parse(url), settings, Options);

    private static ImmutableCredentials Keys(S3Connection c) => c.Credentials.Credentials.GetCredentials();

    [Fact]
    public void Region_comes_from_the_url_then_the_target_then_AWS_REGION_then_AWS_DEFAULT_REGION_then_us_east_1()
    {
        Assert.Equal(("us-east-1", "the default"), (Resolve().Region, Resolve().RegionSource));
        _env["AWS_DEFAULT_REGION"] = "eu-west-3";
        Assert.Equal(("eu-west-3", "AWS_DEFAULT_REGION"), (Resolve().Region, Resolve().RegionSource));
        _env["AWS_REGION"] = "eu-west-2";
        Assert.Equal(("eu-west-2", "AWS_REGION"), (Resolve().Region, Resolve().RegionSource));
        var withRegion = new S3TargetSettings { Region = "ap-south-1" };
        Assert.Equal("ap-south-1", Resolve(settings: withRegion).Region);
        var fromUrl = Resolve("s3://bucket@sa-east-1/p/", withRegion);
        Assert.Equal(("sa-east-1", "the target URL"), (fromUrl.Region, fromUrl.RegionSource));
    }

    [Fact]
    public void Endpoint_comes_from_the_target_then_AWS_ENDPOINTS_then_AWS_ENDPOINT_URL_and_implies_path_style()
    {
        var aws = Resolve();
        Assert.Null(aws.Endpoint);
        Assert.False(aws.PathStyle);                                   // virtual-hosted on AWS

        _env["AWS_ENDPOINT_URL"] = "http://generic.example:9000";
        Assert.Equal("http://generic.example:9000/", Resolve().Endpoint!.ToString());
        _env["AWS_ENDPOINTS"] = "https://minio.example:9000";
        var longhorn = Resolve();
        Assert.Equal("https://minio.example:9000/", longhorn.Endpoint!.ToString());
        Assert.Equal("AWS_ENDPOINTS", longhorn.EndpointSource);
        Assert.True(longhorn.PathStyle);                               // path-style by default with an endpoint

        var own = Resolve(settings: new S3TargetSettings { EndpointUrl = "http://127.0.0.1:9000" });
        Assert.Equal("http://127.0.0.1:9000/", own.Endpoint!.ToString());
        Assert.Equal("the target's -EndpointUrl", own.EndpointSource);
    }

    [Fact]
    public void Addressing_follows_ForcePathStyle_then_VIRTUAL_HOSTED_STYLE()
    {
        var withEndpoint = new S3TargetSettings { EndpointUrl = "https://rgw.example" };
        _env["VIRTUAL_HOSTED_STYLE"] = "true";
        Assert.False(Resolve(settings: withEndpoint).PathStyle);
        _env["VIRTUAL_HOSTED_STYLE"] = "false";
        Assert.True(Resolve().PathStyle);
        var forced = Resolve(settings: withEndpoint with { ForcePathStyle = false });
        Assert.False(forced.PathStyle);
        Assert.Equal("the target's -ForcePathStyle", forced.AddressingSource);
    }

    [Theory]
    [InlineData("ftp://minio.example")]
    [InlineData("minio.example:9000")]
    [InlineData("http://key:secret@minio.example")]
    [InlineData("https://minio.example/?x=1")]
    public void A_bad_endpoint_is_an_InvalidTargetSetting_error(string endpoint)
    {
        var e = Assert.Throws<LonghornBackupException>(() => Resolve(settings: new S3TargetSettings { EndpointUrl = endpoint }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.DoesNotContain("secret", e.Message);
        _env["AWS_ENDPOINTS"] = endpoint;
        var fromEnv = Assert.Throws<LonghornBackupException>(() => Resolve());
        Assert.Contains("AWS_ENDPOINTS", fromEnv.Message);
    }

    private string WritePemCa()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=LonghornBackup test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string path = _dir.File("ca.pem");
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    [Fact]
    public void Extra_CA_certificates_come_from_the_target_or_AWS_CERT_as_a_path_or_as_pem()
    {
        string pem = WritePemCa();
        Assert.Null(Resolve().ExtraRoots);
        _env["AWS_CERT"] = File.ReadAllText(pem);                     // Longhorn passes the PEM itself
        Assert.Equal("CN=LonghornBackup test CA", Assert.Single(Resolve().ExtraRoots!).Subject);
        _env["AWS_CERT"] = pem;
        Assert.Single(Resolve().ExtraRoots!);
        _env.Remove("AWS_CERT");
        var fromTarget = Resolve(settings: new S3TargetSettings { CACertificatePath = pem });
        Assert.Single(fromTarget.ExtraRoots!);
        Assert.Contains(fromTarget.Describe(), l => l.Contains("ca.pem"));

        var missing = Assert.Throws<LonghornBackupException>(() => Resolve(settings: new S3TargetSettings { CACertificatePath = _dir.File("nope.pem") }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, missing.ErrorId);
        File.WriteAllText(_dir.File("junk.pem"), "not a certificate");
        var junk = Assert.Throws<LonghornBackupException>(() => Resolve(settings: new S3TargetSettings { CACertificatePath = _dir.File("junk.pem") }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, junk.ErrorId);
    }

    [Fact]
    public void Proxies_come_from_the_environment_with_NO_PROXY_exceptions_and_hidden_passwords()
    {
        Assert.Null(Resolve().Proxy);
        _env["HTTPS_PROXY"] = "http://user:proxy-pass@proxy.example:3128";
        _env["http_proxy"] = "plainproxy.example:8080";
        _env["NO_PROXY"] = "localhost,.internal.example,10.0.0.5:9000";
        var c = Resolve();
        var proxy = c.Proxy!;
        Assert.Equal(new Uri("http://user:proxy-pass@proxy.example:3128"), proxy.GetProxy(new Uri("https://s3.amazonaws.com/b")));
        Assert.Equal(new Uri("http://plainproxy.example:8080"), proxy.GetProxy(new Uri("http://minio.example/b")));
        Assert.True(proxy.IsBypassed(new Uri("http://localhost:9000/")));
        Assert.True(proxy.IsBypassed(new Uri("https://s3.internal.example/")));
        Assert.True(proxy.IsBypassed(new Uri("https://internal.example/")));
        Assert.False(proxy.IsBypassed(new Uri("https://notinternal.example/")));
        Assert.True(proxy.IsBypassed(new Uri("http://10.0.0.5:9000/")));
        Assert.False(proxy.IsBypassed(new Uri("http://10.0.0.5:9001/")));
        Assert.Equal("user", ((System.Net.NetworkCredential)proxy.Credentials!.GetCredential(new Uri("http://proxy.example:3128"), "Basic")!).UserName);
        string described = string.Join("\n", c.Describe());
        Assert.Contains("proxy.example:3128", described);
        Assert.DoesNotContain("proxy-pass", described);

        _env["NO_PROXY"] = "*";
        Assert.True(Resolve().Proxy!.IsBypassed(new Uri("https://anything.example/")));
    }

    [Fact]
    public void Credentials_from_the_environment_with_and_without_a_session_token()
    {
        var c = Resolve();
        Assert.Equal("AKIAENVKEY1234", Keys(c).AccessKey);
        Assert.Equal(Secret, Keys(c).SecretKey);
        Assert.Contains("AWS_ACCESS_KEY_ID", c.Credentials.Source);
        _env["AWS_SESSION_TOKEN"] = "token-value";
        Assert.Equal("token-value", Keys(Resolve()).Token);
    }

    [Fact]
    public void Half_of_an_environment_key_pair_is_CredentialsNotFound()
    {
        _env.Remove("AWS_SECRET_ACCESS_KEY");
        var e = Assert.Throws<LonghornBackupException>(() => Resolve());
        Assert.Equal(ErrorIds.CredentialsNotFound, e.ErrorId);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", e.Message);
    }

    [Fact]
    public void A_stored_profile_beats_the_environment_and_its_file_is_private()
    {
        string file = _dir.File("credentials");
        string where = S3CredentialProfiles.Store("lhb-test", file, "AKIAPROFILEKEY99", "profile-secret", null);
        Assert.Equal(file, where);
        Assert.Contains("profile-secret", File.ReadAllText(file));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var c = Resolve(settings: new S3TargetSettings { CredentialSource = CredentialSource.Profile, ProfileName = "lhb-test", ProfileLocation = file });
        Assert.Equal("AKIAPROFILEKEY99", Keys(c).AccessKey);
        Assert.Equal("profile-secret", Keys(c).SecretKey);
        Assert.Contains("'lhb-test'", c.Credentials.Source);
        Assert.Contains("****EY99", c.Credentials.Source);              // the key id shortened, never the secret
        Assert.DoesNotContain("profile-secret", string.Join("\n", c.Describe()));

        // Replacing keys rewrites the profile; removing it makes the target fail, not fall back.
        S3CredentialProfiles.Store("lhb-test", file, "AKIAPROFILEKEY00", "second-secret", "tok");
        Assert.Equal("second-secret", Keys(Resolve(settings: new S3TargetSettings { CredentialSource = CredentialSource.Profile, ProfileName = "lhb-test", ProfileLocation = file })).SecretKey);
        S3CredentialProfiles.Remove("lhb-test", file);
        Assert.DoesNotContain("second-secret", File.ReadAllText(file));
        Assert.False(S3CredentialProfiles.Exists("lhb-test", file));
    }

    [Fact]
    public void A_missing_named_profile_is_CredentialsNotFound_even_with_keys_in_the_environment()
    {
        string file = _dir.File("credentials");
        S3CredentialProfiles.Store("present", file, "AKIAPRESENT0001", "s", null);
        var e = Assert.Throws<LonghornBackupException>(() =>
            Resolve(settings: new S3TargetSettings { CredentialSource = CredentialSource.Profile, ProfileName = "absent", ProfileLocation = file }));
        Assert.Equal(ErrorIds.CredentialsNotFound, e.ErrorId);
        Assert.Contains("'absent'", e.Message);
        Assert.NotNull(e.RecommendedAction);
    }

    [Fact]
    public void AWS_PROFILE_is_used_when_no_keys_are_in_the_environment_and_must_exist()
    {
        string file = _dir.File("credentials");
        S3CredentialProfiles.Store("from-env", file, "AKIAFROMENV00001", "env-profile-secret", null);
        _env.Remove("AWS_ACCESS_KEY_ID");
        _env.Remove("AWS_SECRET_ACCESS_KEY");
        _env["AWS_SHARED_CREDENTIALS_FILE"] = file;
        _env["AWS_PROFILE"] = "from-env";
        var c = Resolve();
        Assert.Equal("AKIAFROMENV00001", Keys(c).AccessKey);
        Assert.Contains("AWS_PROFILE", c.Credentials.Source);

        _env["AWS_PROFILE"] = "typo";
        Assert.Equal(ErrorIds.CredentialsNotFound, Assert.Throws<LonghornBackupException>(() => Resolve()).ErrorId);
    }

    [Fact]
    public void Keys_without_a_secret_cannot_be_stored()
    {
        var e = Assert.Throws<LonghornBackupException>(() => S3CredentialProfiles.Store("p", _dir.File("credentials"), "AKIA", "", null));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.False(File.Exists(_dir.File("credentials")));
    }

    [Fact]
    public void The_description_names_every_source_and_no_secret()
    {
        _env["AWS_ENDPOINTS"] = "http://127.0.0.1:9000";
        var lines = Resolve("s3://bucket@us-west-2/p/").Describe().ToList();
        Assert.Contains(lines, l => l.StartsWith("S3 credentials: from the environment variables AWS_ACCESS_KEY_ID (****1234)", StringComparison.Ordinal));
        Assert.Contains("S3 region: us-west-2 (from the target URL).", lines);
        Assert.Contains("S3 endpoint: http://127.0.0.1:9000/ (from AWS_ENDPOINTS).", lines);
        Assert.Contains("S3 addressing: path-style (from the default with a custom endpoint).", lines);
        Assert.DoesNotContain(lines, l => l.Contains(Secret));
    }
}
