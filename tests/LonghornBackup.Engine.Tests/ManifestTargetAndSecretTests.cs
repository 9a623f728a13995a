using System.Text;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Engine.Tests;

/// <summary>BackupTarget and credential Secret manifests, and that no Secret value ever reaches a message.</summary>
public class ManifestTargetAndSecretTests
{
    private const string Canary = "CANARY-9f2c71d0-do-not-print";
    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static ManifestSet ParseTargets(string yaml, ManifestValidation validation = ManifestValidation.Strict) =>
        ManifestParser.Parse(yaml, "target.yaml", ManifestKinds.BackupTarget | ManifestKinds.Secret, validation);

    private static readonly string S3TargetWithSecret = $"""
        apiVersion: longhorn.io/v1beta2
        kind: BackupTarget
        metadata:
          name: default
          namespace: longhorn-system
        spec:
          backupTargetURL: s3://backupbucket@us-east-1/longhorn/
          credentialSecret: minio-secret
          pollInterval: 5m0s
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: minio-secret
          namespace: longhorn-system
        type: Opaque
        data:
          AWS_ACCESS_KEY_ID: {B64("AKIDEXAMPLE")}
          AWS_SECRET_ACCESS_KEY: {B64(Canary)}
        stringData:
          AWS_ENDPOINTS: https://minio.example:9000
          VIRTUAL_HOSTED_STYLE: "false"
        """;

    [Fact]
    public void A_backup_target_and_its_secret_are_read_into_neutral_records()
    {
        var set = ParseTargets(S3TargetWithSecret);
        var target = Assert.Single(set.BackupTargets);
        Assert.Equal("default", target.Name);
        Assert.Equal("s3://backupbucket@us-east-1/longhorn/", target.BackupTargetUrl);
        Assert.Equal("minio-secret", target.CredentialSecret);
        Assert.Equal(TimeSpan.FromMinutes(5), target.PollInterval);

        var secret = set.CredentialsFor(target);
        Assert.NotNull(secret);
        Assert.Equal("AKIDEXAMPLE", secret.Values["AWS_ACCESS_KEY_ID"]);
        Assert.Equal(Canary, secret.Values["AWS_SECRET_ACCESS_KEY"]);
        Assert.Equal("https://minio.example:9000", secret.Values["AWS_ENDPOINTS"]);
        Assert.Equal("false", secret.Values["VIRTUAL_HOSTED_STYLE"]);
        Assert.Empty(set.Warnings);
    }

    [Fact]
    public void StringData_wins_over_data_for_the_same_key()
    {
        var set = ParseTargets($"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  AWS_ENDPOINTS: {B64("https://old")}\nstringData:\n  AWS_ENDPOINTS: https://new\n");
        Assert.Equal("https://new", Assert.Single(set.Secrets).Values["AWS_ENDPOINTS"]);
    }

    [Fact]
    public void A_target_without_a_secret_or_poll_interval_is_fine()
    {
        var t = Assert.Single(ParseTargets("apiVersion: longhorn.io/v1beta2\nkind: BackupTarget\nmetadata:\n  name: nfs\nspec:\n  backupTargetURL: nfs://server:/export\n").BackupTargets);
        Assert.Null(t.CredentialSecret);
        Assert.Null(t.PollInterval);
    }

    [Theory]
    [InlineData("backupTargetURL: ftp://host/x", "spec.backupTargetURL", "'ftp' is not a backup target scheme")]
    [InlineData("credentialSecret: x", "spec.backupTargetURL", "spec.backupTargetURL is missing")]
    [InlineData("backupTargetURL: nfs://h:/e\n  pollInterval: five minutes", "spec.pollInterval", "is not a poll interval")]
    [InlineData("backupTargetURL: nfs://h:/e\n  pollInterval: -5m", "spec.pollInterval", "is not a poll interval")]
    [InlineData("backupTargetURL: nfs://h:/e\n  credentialSecret: My_Secret", "spec.credentialSecret", "is not a Secret name")]
    public void Invalid_backup_targets_name_field_and_line(string specBody, string field, string message)
    {
        var e = Assert.Throws<InvalidManifestException>(() =>
            ParseTargets($"apiVersion: longhorn.io/v1beta2\nkind: BackupTarget\nmetadata:\n  name: default\nspec:\n  {specBody}\n"));
        var p = Assert.Single(e.Problems);
        Assert.Equal(field, p.Location.FieldPath);
        Assert.Contains(message, p.Message);
        Assert.True(p.Location.Line >= 5, $"line {p.Location.Line}");
    }

    [Fact]
    public void An_s3_target_whose_secret_lacks_the_keys_is_refused()
    {
        string yaml = S3TargetWithSecret.Replace("  AWS_ACCESS_KEY_ID:", "  AWS_IGNORED_KEY:");
        var e = Assert.Throws<InvalidManifestException>(() => ParseTargets(yaml));
        var p = Assert.Single(e.Problems);
        Assert.Equal("spec.credentialSecret", p.Location.FieldPath);
        Assert.Equal(8, p.Location.Line);
        Assert.Contains("AWS_ACCESS_KEY_ID", p.Message);
    }

    [Fact]
    public void An_iam_role_replaces_the_access_keys()
    {
        string yaml = S3TargetWithSecret.Replace("  AWS_ACCESS_KEY_ID:", "  AWS_IAM_ROLE_ARN:").Replace("  AWS_SECRET_ACCESS_KEY:", "  NO_PROXY:");
        Assert.Single(ParseTargets(yaml).BackupTargets);
    }

    [Fact]
    public void A_backup_command_refuses_target_manifests_and_the_other_way_round()
    {
        var e1 = Assert.Throws<InvalidManifestException>(() => ManifestParser.Parse(S3TargetWithSecret, "t.yaml", ManifestKinds.Backup));
        Assert.Equal(new[] { "kind", "kind" }, e1.Problems.Select(p => p.Location.FieldPath));
        var e2 = Assert.Throws<InvalidManifestException>(() => ParseTargets(ManifestTestFiles.SeedFull));
        Assert.Contains("kind 'Backup' is not accepted here", Assert.Single(e2.Problems).Message);
    }

    /// <summary>Secret manifests that go wrong in every way a message could echo a value: none does.</summary>
    public static IEnumerable<object[]> SecretsThatFail() => new[]
    {
        new object[] { $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  AWS_SECRET_ACCESS_KEY: {Canary}!!\n" },           // not base64
        new object[] { $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  VIRTUAL_HOSTED_STYLE: {Canary}\n" },           // not a boolean
        new object[] { $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  AWS_SECRET_ACCESS_KEY: [{Canary}]\n" },         // not a string
        new object[] { $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  AWS_SECRET_ACCESS_KEY: \"{Canary}\n" },         // unclosed quote
        new object[] { $"apiVersion: v2\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  AWS_SECRET_ACCESS_KEY: {Canary}\n" },          // wrong apiVersion
        new object[] { $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  AWS_SECRET_ACCESS_KEY: {Canary}\n  AWS_SECRET_ACCESS_KEY: {Canary}2\n" }, // duplicate key
    };

    [Theory]
    [MemberData(nameof(SecretsThatFail))]
    public void Secret_values_never_appear_in_errors(string yaml)
    {
        var e = Assert.ThrowsAny<LonghornBackupException>(() => ParseTargets(yaml));
        Assert.Equal(ErrorIds.InvalidManifest, e.ErrorId);
        Assert.DoesNotContain("CANARY", e.Message);
        Assert.DoesNotContain("CANARY", e.ToString());
        Assert.DoesNotContain("CANARY", e.TargetObject?.ToString() ?? "");
        Assert.DoesNotContain("CANARY", e.RecommendedAction ?? "");
    }

    [Fact]
    public void Unknown_fields_of_a_BackupTarget_or_its_Secret_are_errors_naming_the_field_meant_and_no_value()
    {
        string yaml = S3TargetWithSecret.Replace("  credentialSecret:", "  credentialsSecret:").Replace("stringData:", "stringdata:")
            .Replace("  namespace: longhorn-system\ntype:", "  namespace: longhorn-system\n  lables: {}\ntype:");
        var e = Assert.Throws<InvalidManifestException>(() => ParseTargets(yaml));
        Assert.Equal(new[] { (1, "spec.credentialsSecret", 8), (2, "metadata.lables", 16), (2, "stringdata", 21) },
            e.Problems.Select(p => (p.Location.Document, p.Location.FieldPath, p.Location.Line)));
        Assert.Contains("unknown field 'spec.credentialsSecret' (did you mean 'credentialSecret'?): Longhorn's BackupTarget has no such field", e.Message);
        Assert.Contains("document 2 (minio-secret) of target.yaml, line 21, stringdata: unknown field 'stringdata' (did you mean 'stringData'?): a Kubernetes Secret has no such field", e.Message);
        Assert.DoesNotContain("CANARY", e.ToString());

        // A Secret may hold keys for other programs: a key Longhorn does not read stays a warning, naming the key meant.
        var set = ParseTargets(S3TargetWithSecret.Replace("  AWS_ENDPOINTS:", "  AWS_ENDPOINT:"));
        Assert.Contains("AWS_ENDPOINT is not a credential key Longhorn's backup targets read (did you mean AWS_ENDPOINTS?)", Assert.Single(set.Warnings).Message);
    }

    [Fact]
    public void Secret_values_never_appear_in_warnings_or_in_any_ToString()
    {
        string yaml = S3TargetWithSecret
            .Replace("  VIRTUAL_HOSTED_STYLE: \"false\"", $"  VIRTUAL_HOSTED_STYLE: \"false\"\n  UNKNOWN_KEY: {Canary}\n  AWS_CERT: 12345\n  NO_PROXY: yes\nunknownTopLevel: {Canary}");
        var strict = Assert.Throws<InvalidManifestException>(() => ParseTargets(yaml));   // unknownTopLevel, by default
        Assert.Equal("unknownTopLevel", Assert.Single(strict.Problems).Location.FieldPath);
        Assert.DoesNotContain("CANARY", strict.ToString());
        var set = ParseTargets(yaml, ManifestValidation.Warn);
        var secret = Assert.Single(set.Secrets);
        Assert.Equal(Canary, secret.Values["AWS_SECRET_ACCESS_KEY"]);   // the value is there for the driver ...
        Assert.False(secret.Values.ContainsKey("UNKNOWN_KEY"));        // ... unknown keys are dropped ...
        Assert.Equal(new[] { "stringData.UNKNOWN_KEY", "stringData.AWS_CERT", "stringData.NO_PROXY", "unknownTopLevel" },
            set.Warnings.Select(w => w.Location.FieldPath).Where(f => f != "").ToArray()[^4..]);
        // ... but no text made from it shows it.
        foreach (string text in set.Warnings.Select(w => w.ToString())
                     .Append(secret.ToString()).Append(secret.Values.ToString()).Append(secret.Location.ToString())
                     .Append(set.BackupTargets[0].ToString()).Append(set.ToString()!))
        {
            Assert.DoesNotContain("CANARY", text);
            Assert.DoesNotContain("12345", text);
        }
        Assert.Contains("AWS_SECRET_ACCESS_KEY", secret.ToString());
        Assert.Contains("values hidden", secret.Values.ToString());
    }
}
