using LonghornBackup.Engine.Store.S3;
using System.Text.Json;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Applying BackupTarget manifests with their Secrets (Set-LhBackupTarget -Manifest/-SecretManifest): what a target
/// keeps (a reference to the Secret's file, never a value), and every input that must be refused before anything is
/// saved, with its document, field and line.
/// </summary>
public class BackupTargetManifestPlannerTests : IDisposable
{
    private const string Canary = "CANARY-planner-3d9e";
    private readonly TempDir _dir = new("lhb-target-manifest");

    public void Dispose() => _dir.Dispose();

    private static string Target(string name, string url, string? secret = null, string? poll = null) =>
        $"apiVersion: longhorn.io/v1beta2\nkind: BackupTarget\nmetadata:\n  name: {name}\n  namespace: longhorn-system\nspec:\n  backupTargetURL: {url}\n" +
        (secret is null ? "" : $"  credentialSecret: {secret}\n") + (poll is null ? "" : $"  pollInterval: {poll}\n");

    private static string Secret(string name, string extra = "") =>
        $"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: longhorn-system\ntype: Opaque\nstringData:\n" +
        $"  AWS_ACCESS_KEY_ID: AKIAPLANNER00001\n  AWS_SECRET_ACCESS_KEY: {Canary}\n{extra}";

    private string Write(string fileName, params string[] documents)
    {
        string path = _dir.File(fileName);
        File.WriteAllText(path, string.Join("---\n", documents));
        return path;
    }

    /// <summary>Parses and plans as Set-LhBackupTarget does: -Manifest files take targets and Secrets, -SecretManifest files Secrets only.</summary>
    private (IReadOnlyList<PlannedTarget> Plan, List<string> Warnings) Apply(string[] manifests, string[]? secrets = null, BackupTargetManifestOverrides? overrides = null)
    {
        var secretFiles = (secrets ?? Array.Empty<string>()).ToHashSet();
        var sources = manifests.Concat(secrets ?? Array.Empty<string>()).Select(ManifestSource.FromFile).ToList();
        var set = ManifestParser.Parse(sources, s => secretFiles.Contains(s.Name) ? ManifestKinds.Secret : ManifestKinds.BackupTarget | ManifestKinds.Secret);
        var warnings = new List<string>();
        var plan = BackupTargetManifestPlanner.Plan(set, sources, overrides ?? new BackupTargetManifestOverrides(), p => Path.Combine(_dir.Path, p), warnings);
        return (plan, warnings);
    }

    [Fact]
    public void A_target_and_its_Secret_in_one_file_keep_only_the_Secrets_name_and_file()
    {
        string file = Write("target.yaml", Target("minio", "s3://backups@us-east-1/longhorn/", "minio-secret", "1m30s"), Secret("minio-secret"));
        var planned = Assert.Single(Apply(new[] { file }).Plan);
        var d = planned.Definition;
        Assert.Equal(("minio", "s3://backups@us-east-1/longhorn/"), (d.Name, d.Url));
        Assert.Equal(TimeSpan.FromSeconds(90), d.PollInterval);
        Assert.Equal(CredentialSource.Secret, d.S3()!.CredentialSource);
        Assert.Equal(new CredentialSecretReference("minio-secret", file), d.S3()!.CredentialSecret);
        Assert.Null(d.S3()!.ProfileName);

        var registry = new TargetRegistry(_dir.Sub("config"));
        registry.Set(d);
        string json = File.ReadAllText(registry.FilePath);
        Assert.DoesNotContain(Canary, json);
        Assert.DoesNotContain("AKIAPLANNER", json);
        using var saved = JsonDocument.Parse(json);
        var s3 = saved.RootElement[0].GetProperty("S3");
        Assert.Equal("Secret", s3.GetProperty("CredentialSource").GetString());
        Assert.Equal("minio-secret", s3.GetProperty("CredentialSecret").GetProperty("Name").GetString());
        Assert.Equal(file, s3.GetProperty("CredentialSecret").GetProperty("File").GetString());
        Assert.Equal(d, registry.Get("minio"));
    }

    [Fact]
    public void A_Secret_from_a_SecretManifest_file_is_referenced_there_and_the_command_line_overrides_the_manifest()
    {
        string targets = Write("target.yaml", Target("default", "s3://backups/longhorn/", "s3-secret"));
        string secrets = Write("secret.yaml", Secret("other"), Secret("s3-secret", "  AWS_ENDPOINTS: https://from-secret.example\n"));
        var overrides = new BackupTargetManifestOverrides { Name = "renamed", EndpointUrl = "http://127.0.0.1:9000", Region = "eu-west-1", ForcePathStyle = false, MaxConcurrentUploads = 4 };
        var d = Assert.Single(Apply(new[] { targets }, new[] { secrets }, overrides).Plan).Definition;
        Assert.Equal("renamed", d.Name);
        Assert.Equal(new CredentialSecretReference("s3-secret", secrets), d.S3()!.CredentialSecret);
        Assert.Equal(("http://127.0.0.1:9000", "eu-west-1", (bool?)false), (d.S3()!.EndpointUrl, d.S3()!.Region, d.S3()!.ForcePathStyle));
        Assert.Equal(4, d.MaxConcurrentUploads);
        Assert.Null(d.PollInterval);
    }

    [Fact]
    public void Folder_targets_take_plain_paths_and_vfs_urls_and_no_credentials()
    {
        string folder = _dir.Sub("store");
        string file = Write("targets.yaml", Target("plain", "store"), Target("vfs", $"vfs://{folder}", "unused-secret"), Secret("unused-secret"));
        var (plan, warnings) = Apply(new[] { file });
        Assert.Equal(new[] { "plain", "vfs" }, plan.Select(p => p.Definition.Name));
        Assert.All(plan, p => Assert.Equal($"vfs://{folder}", p.Definition.Url));
        Assert.All(plan, p => Assert.Null(p.Definition.S3()));
        Assert.Contains(warnings, w => w.Contains("a folder target takes no credentials; the Secret 'unused-secret' is not used", StringComparison.Ordinal));
    }

    [Fact]
    public void A_credentialSecret_naming_no_Secret_of_the_input_is_InvalidManifest_with_document_field_and_line()
    {
        string file = Write("target.yaml", Target("default", "s3://backups/longhorn/", "minio-secret"), Secret("another-secret"));
        var e = Assert.Throws<InvalidManifestException>(() => Apply(new[] { file }));
        var p = Assert.Single(e.Problems);
        Assert.Equal((1, "spec.credentialSecret", 8), (p.Location.Document, p.Location.FieldPath, p.Location.Line));
        Assert.Contains("the Secret 'minio-secret' is not in the input: give the file that holds it with -SecretManifest", p.Message);
        Assert.StartsWith($"Invalid manifest: document 1 (default) of {file}, line 8, spec.credentialSecret:", e.Message);
    }

    [Fact]
    public void A_Secret_that_cannot_be_read_again_is_refused()
    {
        var sources = new[] { new ManifestSource("pipeline input", Target("default", "s3://backups/p/", "s") + "---\n" + Secret("s")) };
        var set = ManifestParser.Parse(sources, ManifestKinds.BackupTarget | ManifestKinds.Secret);
        var e = Assert.Throws<InvalidManifestException>(() => BackupTargetManifestPlanner.Plan(set, sources, new BackupTargetManifestOverrides(), p => p));
        Assert.Contains("comes from pipeline input, which cannot be read again", Assert.Single(e.Problems).Message);
    }

    [Fact]
    public void A_SecretManifest_file_takes_Secrets_only()
    {
        string targets = Write("target.yaml", Target("default", "s3://backups/p/", "s"));
        string secrets = Write("secret.yaml", Secret("s"), Target("sneaky", "s3://backups/other/"));
        var e = Assert.Throws<InvalidManifestException>(() => Apply(new[] { targets }, new[] { secrets }));
        var p = Assert.Single(e.Problems);
        Assert.Equal((secrets, 2, "kind"), (p.Location.Source, p.Location.Document, p.Location.FieldPath));
        Assert.Contains("kind 'BackupTarget' is not accepted here: this input takes Secret (v1) documents", p.Message);
    }

    [Fact]
    public void Duplicate_target_names_and_missing_Secrets_are_all_reported_at_once()
    {
        string file = Write("targets.yaml", Target("a", "s3://b/p/", "missing-1"), Target("a", "s3://b/q/"), Target("c", "s3://b/r/", "missing-2"));
        var e = Assert.Throws<InvalidManifestException>(() => Apply(new[] { file }));
        Assert.Equal(new[] { (1, "spec.credentialSecret"), (2, "metadata.name"), (3, "spec.credentialSecret") },
            e.Problems.Select(p => (p.Location.Document, p.Location.FieldPath)).OrderBy(x => x.Document));
    }

    [Fact]
    public void Name_overrides_one_document_only()
    {
        string file = Write("targets.yaml", Target("a", "s3://b/p/"), Target("b", "s3://b/q/"));
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }, overrides: new BackupTargetManifestOverrides { Name = "one" }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.Contains("2 BackupTarget documents ('a', 'b')", e.Message);
    }

    [Theory]
    [InlineData("nfs://server/export", "InvalidBackupTargetUrl", "followed by ':'")]
    [InlineData("cifs://server", "InvalidBackupTargetUrl", "names no path")]
    [InlineData("azblob://Bad_Container@core.windows.net/p/", "InvalidBackupTargetUrl", "Bad_Container")]
    [InlineData("s3://Bad_Bucket/p/", "InvalidBackupTargetUrl", "Bad_Bucket")]
    [InlineData("missing-folder", "BackupTargetUnreachable", "does not exist")]
    public void Unusable_urls_keep_their_error_and_gain_the_location(string url, string errorId, string message)
    {
        string file = Write("target.yaml", Target("default", url));
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }));
        Assert.Equal(errorId, e.ErrorId);
        Assert.StartsWith($"document 1 (default) of {file}, line 7, spec.backupTargetURL: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Store_options_for_folder_targets_are_refused_naming_the_kinds_that_take_them()
    {
        string file = Write("target.yaml", Target("default", $"vfs://{_dir.Sub("store")}"));
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }, overrides: new BackupTargetManifestOverrides { EndpointUrl = "http://127.0.0.1:9000" }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.Contains("-EndpointUrl applies to S3 and AzureBlob targets only; the manifest sets a folder target", e.Message);
        var region = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }, overrides: new BackupTargetManifestOverrides { Region = "us-east-1" }));
        Assert.Contains("-Region applies to S3 targets only", region.Message);
    }

    [Fact]
    public void S3_options_for_an_Azure_Blob_target_are_refused()
    {
        string file = Write("target.yaml", Target("default", "azblob://backups@core.windows.net/p/"));
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }, overrides: new BackupTargetManifestOverrides { Region = "us-east-1" }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.Contains("-Region applies to S3 targets only; the manifest sets an AzureBlob target", e.Message);
    }

    [Fact]
    public void Secret_values_that_a_command_could_not_use_are_refused_without_showing_them()
    {
        string file = Write("target.yaml", Target("default", "s3://backups/p/", "s"), Secret("s", $"  AWS_ENDPOINTS: minio-without-scheme-{Canary}\n"));
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.Contains($"AWS_ENDPOINTS of the Secret 's' in file '{file}'", e.Message);
        Assert.DoesNotContain(Canary, e.ToString());
    }

    [Fact]
    public void An_Azure_Secret_naming_no_storage_account_is_refused_with_the_modules_error_not_a_dotnet_exception()
    {
        string secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: az\nstringData:\n  AZBLOB_ACCOUNT_NAME: My Account\n" +
                        $"  AZBLOB_ACCOUNT_KEY: {Convert.ToBase64String(new byte[64])}\n";
        string file = Write("target.yaml", Target("default", "azblob://backups@core.windows.net/p/", "az"), secret);
        var e = Assert.Throws<LonghornBackupException>(() => Apply(new[] { file }));
        Assert.Equal(ErrorIds.InvalidTargetSetting, e.ErrorId);
        Assert.Contains($"AZBLOB_ACCOUNT_NAME of the Secret 'az' in file '{file}' is not a storage account name", e.Message);
    }

    [Fact]
    public void A_Secret_without_AWS_SECRET_ACCESS_KEY_is_InvalidManifest_without_its_values()
    {
        string secret = Secret("s").Replace($"  AWS_SECRET_ACCESS_KEY: {Canary}\n", $"  AWS_SESSION_TOKEN: {Canary}\n");
        string file = Write("target.yaml", Target("default", "s3://backups/p/", "s"), secret);
        var e = Assert.Throws<InvalidManifestException>(() => Apply(new[] { file }));
        var p = Assert.Single(e.Problems);
        Assert.Equal("spec.credentialSecret", p.Location.FieldPath);
        Assert.Contains("lacks AWS_SECRET_ACCESS_KEY", p.Message);
        Assert.DoesNotContain(Canary, e.ToString());
    }

    [Fact]
    public void An_input_without_a_BackupTarget_sets_nothing()
    {
        string file = Write("secret.yaml", Secret("s"));
        var e = Assert.Throws<InvalidManifestException>(() => Apply(new[] { file }));
        Assert.Contains("holds no BackupTarget document", Assert.Single(e.Problems).Message);
    }
}
