using System.Text.Json;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>targets.json: files written before S3 targets existed still load; S3 settings round-trip and hold no secret.</summary>
public class TargetSettingsPersistenceTests
{
    [Fact]
    public void A_targets_file_from_before_S3_support_loads_and_a_folder_target_is_saved_as_before()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "targets.json"),
            """[ { "Name": "default", "Url": "vfs:///mnt/backupstore", "SetAt": "2026-11-01T10:00:00+00:00" } ]""");
        var registry = new TargetRegistry(dir.Path);

        var old = registry.Get("default");
        Assert.Equal("vfs:///mnt/backupstore", old.Url);
        Assert.Null(old.S3);
        Assert.Null(old.MaxConcurrentUploads);
        Assert.Null(old.UploadConcurrency());

        registry.Set(old with { Name = "copy" });
        using var saved = JsonDocument.Parse(File.ReadAllText(registry.FilePath));
        Assert.All(saved.RootElement.EnumerateArray(), t =>
            Assert.Equal(new[] { "Name", "SetAt", "Url" }, t.EnumerateObject().Select(p => p.Name).Order()));
    }

    [Fact]
    public void S3_settings_round_trip_as_references_without_secrets()
    {
        using var dir = new TempDir();
        var registry = new TargetRegistry(dir.Path);
        var target = new BackupTargetDefinition("s3", "s3://bucket@us-east-1/p/", DateTimeOffset.UtcNow)
        {
            MaxConcurrentUploads = 12,
            S3 = new S3TargetSettings
            {
                EndpointUrl = "https://minio.example:9000",
                ForcePathStyle = false,
                CACertificatePath = "/etc/ssl/lan-ca.pem",
                CredentialSource = CredentialSource.Profile,
                ProfileName = "LonghornBackup-s3",
                ProfileLocation = "/home/u/.aws/credentials",
                ProfileCreatedByModule = true,
            },
        };
        registry.Set(target);

        Assert.Equal(target, new TargetRegistry(dir.Path).Get("s3"));
        Assert.Equal(12, registry.Get("s3").UploadConcurrency());
        Assert.Equal(BackupTargetDefinition.DefaultS3Uploads, (target with { MaxConcurrentUploads = null }).UploadConcurrency());
        string json = File.ReadAllText(registry.FilePath);
        Assert.Contains("\"CredentialSource\": \"Profile\"", json);
        foreach (var word in new[] { "Secret", "Password", "Token", "AccessKey" })
            Assert.DoesNotContain(word, json, StringComparison.OrdinalIgnoreCase);
    }
}
