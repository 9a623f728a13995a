using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// An S3 target whose credentials are a reference to a Kubernetes Secret manifest (issue 5): the file is read again at
/// every use, a missing or changed file or Secret is CredentialsNotFound naming both (never a value), and the Secret
/// sits between the target's own settings and the process environment. No request is sent.
/// </summary>
public class S3CredentialSecretTests : IDisposable
{
    private const string Canary = "CANARY-secret-5e0b1a7c";
    private const string SecretName = "s3-secret";
    private readonly TempDir _dir = new("lhb-s3secret");
    private readonly Dictionary<string, string> _env = new();

    public void Dispose() => _dir.Dispose();

    private string SecretFile => _dir.File("secret.yaml");

    private StoreOpenOptions Options => new() { Environment = n => _env.TryGetValue(n, out var v) ? v : null };

    /// <summary>Writes a Secret manifest with the given stringData (keys to values) and returns its path.</summary>
    private string WriteSecret(IDictionary<string, string> values, string name = SecretName)
    {
        var lines = new List<string> { "apiVersion: v1", "kind: Secret", "metadata:", $"  name: {name}", "  namespace: longhorn-system", "type: Opaque", "stringData:" };
        foreach (var (key, value) in values)
            lines.Add(value.Contains('\n') ? $"  {key}: |\n    {value.TrimEnd('\n').Replace("\n", "\n    ")}" : $"  {key}: \"{value}\"");
        File.WriteAllText(SecretFile, string.Join("\n", lines) + "\n");
        return SecretFile;
    }

    private string WriteKeys(string keyId = "AKIASECRETFILE01", string secret = Canary, params (string Key, string Value)[] more)
    {
        var values = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = keyId, ["AWS_SECRET_ACCESS_KEY"] = secret };
        foreach (var (k, v) in more) values[k] = v;
        return WriteSecret(values);
    }

    private S3TargetSettings FromSecret(S3TargetSettings? own = null) => (own ?? new S3TargetSettings()) with
    {
        CredentialSource = CredentialSource.Secret,
        CredentialSecret = new CredentialSecretReference(SecretName, SecretFile),
    };

    private S3Connection Resolve(S3TargetSettings? settings = null, string url = "s3://bucket/prefix/") =>
        S3Connection.Resolve(TargetUrl.Parse(url), settings ?? FromSecret(), Options);

    private static ImmutableCredentials Keys(S3Connection c) => c.Credentials.Credentials.GetCredentials();

    private string PemCa(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return cert.ExportCertificatePem();
    }

    private static void AssertNoCanary(LonghornBackupException e)
    {
        foreach (var text in new[] { e.Message, e.ToString(), e.RecommendedAction ?? "", e.TargetObject?.ToString() ?? "" })
            Assert.DoesNotContain("CANARY", text);
    }

    [Fact]
    public void The_Secret_file_is_read_again_at_every_use()
    {
        WriteKeys("AKIAFIRSTKEY0001", Canary);
        var first = Resolve();
        Assert.Equal(("AKIAFIRSTKEY0001", Canary), (Keys(first).AccessKey, Keys(first).SecretKey));
        Assert.True(string.IsNullOrEmpty(Keys(first).Token));

        WriteKeys("AKIASECONDKEY002", Canary + "-rotated", ("AWS_SESSION_TOKEN", "session-token-value"));
        var second = Resolve();
        Assert.Equal(("AKIASECONDKEY002", Canary + "-rotated", "session-token-value"), (Keys(second).AccessKey, Keys(second).SecretKey, Keys(second).Token));

        string credentialsLine = second.Describe().First();
        Assert.Equal($"S3 credentials: from the Secret '{SecretName}' in file '{SecretFile}' (AWS_ACCESS_KEY_ID ****Y002, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).", credentialsLine);
        Assert.DoesNotContain(second.Describe(), l => l.Contains("CANARY") || l.Contains("session-token-value"));
    }

    [Fact]
    public void The_Secret_keys_win_over_the_environment_keys_AWS_PROFILE_and_its_session_token()
    {
        WriteKeys();
        _env["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT1";
        _env["AWS_SECRET_ACCESS_KEY"] = "environment-secret";
        _env["AWS_SESSION_TOKEN"] = "environment-token";
        _env["AWS_PROFILE"] = "no-such-profile";
        var c = Resolve();
        Assert.Equal("AKIASECRETFILE01", Keys(c).AccessKey);
        Assert.Equal(Canary, Keys(c).SecretKey);
        Assert.True(string.IsNullOrEmpty(Keys(c).Token));           // the environment's token belongs to the environment's keys
        Assert.StartsWith("the Secret 's3-secret'", c.Credentials.Source);
    }

    [Fact]
    public void Endpoint_addressing_CA_and_proxy_come_from_the_target_then_the_Secret_then_the_environment()
    {
        string envCa = _dir.File("env-ca.pem");
        File.WriteAllText(envCa, PemCa("environment CA"));
        _env["AWS_ENDPOINTS"] = "http://environment.example:9000";
        _env["VIRTUAL_HOSTED_STYLE"] = "false";
        _env["AWS_CERT"] = envCa;
        _env["HTTPS_PROXY"] = "http://environment-proxy.example:3128";
        _env["NO_PROXY"] = "internal.example";
        WriteKeys(more: new[]
        {
            ("AWS_ENDPOINTS", "https://secret.example:9000"), ("VIRTUAL_HOSTED_STYLE", "true"), ("AWS_CERT", PemCa("secret CA")),
            ("HTTPS_PROXY", $"http://proxyuser:{Canary}@secret-proxy.example:3128"),
        });

        var fromSecret = Resolve();
        string secretSource = $"of the Secret '{SecretName}' in file '{SecretFile}'";
        Assert.Equal("https://secret.example:9000/", fromSecret.Endpoint!.ToString());
        Assert.Equal($"AWS_ENDPOINTS {secretSource}", fromSecret.EndpointSource);
        Assert.False(fromSecret.PathStyle);
        Assert.Equal($"VIRTUAL_HOSTED_STYLE {secretSource}", fromSecret.AddressingSource);
        Assert.Equal("CN=secret CA", Assert.Single(fromSecret.ExtraRoots!).Subject);
        Assert.Equal(new Uri($"http://proxyuser:{Canary}@secret-proxy.example:3128"), fromSecret.Proxy!.GetProxy(new Uri("https://secret.example:9000/b")));
        Assert.True(fromSecret.Proxy.IsBypassed(new Uri("https://s3.internal.example/")));   // NO_PROXY the Secret does not set: the environment's
        string described = string.Join("\n", fromSecret.Describe());
        Assert.Contains($"HTTPS_PROXY from the Secret '{SecretName}'", described);
        Assert.DoesNotContain("CANARY", described);

        string ownCa = _dir.File("own-ca.pem");
        File.WriteAllText(ownCa, PemCa("target CA"));
        var own = Resolve(FromSecret(new S3TargetSettings { EndpointUrl = "http://127.0.0.1:9000", ForcePathStyle = true, CACertificatePath = ownCa }));
        Assert.Equal(("http://127.0.0.1:9000/", "the target's -EndpointUrl"), (own.Endpoint!.ToString(), own.EndpointSource));
        Assert.Equal((true, "the target's -ForcePathStyle"), (own.PathStyle, own.AddressingSource));
        Assert.Equal("CN=target CA", Assert.Single(own.ExtraRoots!).Subject);

        // A Secret without those keys leaves them to the environment.
        WriteKeys();
        var fromEnvironment = Resolve();
        Assert.Equal(("http://environment.example:9000/", "AWS_ENDPOINTS"), (fromEnvironment.Endpoint!.ToString(), fromEnvironment.EndpointSource));
        Assert.True(fromEnvironment.PathStyle);
        Assert.Equal("CN=environment CA", Assert.Single(fromEnvironment.ExtraRoots!).Subject);
        Assert.Equal(new Uri("http://environment-proxy.example:3128"), fromEnvironment.Proxy!.GetProxy(new Uri("https://aws.example/")));
    }

    /// <summary>Ways the referenced file or Secret can change after the target was set; each one holds the canary somewhere.</summary>
    public static IEnumerable<object[]> Changes() => new[]
    {
        new object[] { "file deleted", (Action<string>)(f => File.Delete(f)), "does not exist any more" },
        new object[] { "folder deleted", (Action<string>)(f => Directory.Delete(Path.GetDirectoryName(f)!, true)), "does not exist any more" },
        new object[] { "Secret renamed", (Action<string>)(f => File.WriteAllText(f, File.ReadAllText(f).Replace($"name: {SecretName}", "name: other-secret"))), "holds no Secret named 's3-secret' any more (it holds 'other-secret')" },
        new object[] { "secret key removed", (Action<string>)(f => File.WriteAllText(f, string.Join("\n", File.ReadAllLines(f).Where(l => !l.Contains("AWS_SECRET_ACCESS_KEY"))))), "has AWS_ACCESS_KEY_ID but no AWS_SECRET_ACCESS_KEY" },
        new object[] { "keys removed", (Action<string>)(f => File.WriteAllText(f, string.Join("\n", File.ReadAllLines(f).Where(l => !l.Contains("AWS_"))) + "\n  NO_PROXY: \"x\"\n")), "holds neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor AWS_IAM_ROLE_ARN" },
        new object[] { "YAML broken", (Action<string>)(f => File.WriteAllText(f, File.ReadAllText(f).Replace($"\"{Canary}\"", $"\"{Canary}"))), "is no longer a valid manifest" },
        new object[] { "not base64", (Action<string>)(f => File.WriteAllText(f, File.ReadAllText(f).Replace("stringData:", "data:"))), "is no longer a valid manifest" },
        new object[] { "kind changed", (Action<string>)(f => File.WriteAllText(f, File.ReadAllText(f).Replace("kind: Secret", "kind: ConfigMap"))), "is no longer a valid manifest" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void A_missing_or_changed_file_or_Secret_is_CredentialsNotFound_naming_file_and_Secret_and_no_value(string change, Action<string> apply, string expected)
    {
        string nested = Path.Combine(_dir.Sub("nested"), "secret.yaml");
        WriteKeys();
        File.Move(SecretFile, nested);
        apply(nested);
        _env["AWS_ACCESS_KEY_ID"] = "AKIAENVIRONMENT1";             // never a fallback
        _env["AWS_SECRET_ACCESS_KEY"] = "environment-secret";
        var settings = new S3TargetSettings { CredentialSource = CredentialSource.Secret, CredentialSecret = new CredentialSecretReference(SecretName, nested) };

        var e = Assert.Throws<LonghornBackupException>(() => S3Connection.Resolve(TargetUrl.Parse("s3://bucket/p/"), settings, Options));
        Assert.Equal(ErrorIds.CredentialsNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.AuthenticationError, e.Kind);
        Assert.Contains($"the Secret '{SecretName}' in file '{nested}'", e.Message);
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{change}: {e.Message}");
        Assert.Contains("Set-LhBackupTarget -Manifest", e.RecommendedAction);
        AssertNoCanary(e);
    }

    [Fact]
    public void A_Secret_naming_an_IAM_role_and_no_keys_uses_the_ambient_credentials()
    {
        WriteSecret(new Dictionary<string, string> { ["AWS_IAM_ROLE_ARN"] = "arn:aws:iam::123456789012:role/longhorn" });
        _env["AWS_ACCESS_KEY_ID"] = "AKIAAMBIENTKEY01";
        _env["AWS_SECRET_ACCESS_KEY"] = "ambient-secret";
        var c = Resolve();
        Assert.Equal("AKIAAMBIENTKEY01", Keys(c).AccessKey);
        Assert.Contains($"as the Secret '{SecretName}' in file '{SecretFile}' names an IAM role (AWS_IAM_ROLE_ARN) and no keys", c.Credentials.Source);
    }

    [Fact]
    public void Checking_a_Secret_before_saving_refuses_bad_values_without_showing_them()
    {
        var reference = new CredentialSecretReference(SecretName, SecretFile);
        SecretManifest Parsed() => Assert.Single(ManifestParser.Parse(File.ReadAllText(SecretFile), SecretFile, ManifestKinds.Secret).Secrets);

        WriteKeys(more: ("AWS_ENDPOINTS", "https://minio.example:9000"));
        S3Settings.ValidateSecret(Parsed(), reference);            // a good Secret passes, without the environment or a request

        foreach (var (key, value) in new[] { ("AWS_ENDPOINTS", $"ftp://{Canary}"), ("AWS_CERT", Canary), ("AWS_CERT", $"-----BEGIN CERTIFICATE-----\n{Canary}\n-----END CERTIFICATE-----\n"), ("HTTPS_PROXY", $"socks5://{Canary}") })
        {
            WriteKeys(more: (key, value));
            var e = Assert.Throws<LonghornBackupException>(() => S3Settings.ValidateSecret(Parsed(), reference));
            Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
            Assert.Contains($"{key} of the Secret '{SecretName}' in file '{SecretFile}'", e.Message);
            AssertNoCanary(e);
        }
    }

    [Fact]
    public void No_object_made_from_a_Secret_shows_a_value()
    {
        WriteKeys(more: ("AWS_SESSION_TOKEN", Canary + "-token"));
        var settings = FromSecret();
        var c = Resolve(settings);
        var definition = new BackupTargetDefinition("s3", "s3://bucket/prefix/", DateTimeOffset.UtcNow).WithS3(settings);
        var variables = S3Variables.For(settings, Options);
        Assert.Equal(Canary, variables.FromSecret("AWS_SECRET_ACCESS_KEY"));
        foreach (var text in new[] { c.ToString(), c.Credentials.ToString(), settings.ToString(), definition.ToString(), variables.ToString(), string.Join("\n", c.Describe()) })
            Assert.DoesNotContain("CANARY", text);
    }
}
