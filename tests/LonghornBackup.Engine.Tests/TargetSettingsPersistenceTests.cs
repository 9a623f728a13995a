using LonghornBackup.Engine.Store.S3;
using System.Text.Json;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
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
        Assert.Null(old.S3());
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
        var target = new BackupTargetDefinition("s3", "s3://bucket@us-east-1/p/", DateTimeOffset.UtcNow) { MaxConcurrentUploads = 12 }
            .WithS3(new S3TargetSettings
            {
                EndpointUrl = "https://minio.example:9000",
                ForcePathStyle = false,
                CACertificatePath = "/etc/ssl/lan-ca.pem",
                CredentialSource = CredentialSource.Profile,
                ProfileName = "LonghornBackup-s3",
                ProfileLocation = "/home/u/.aws/credentials",
                ProfileCreatedByModule = true,
            });
        registry.Set(target);

        Assert.Equal(target, new TargetRegistry(dir.Path).Get("s3"));
        Assert.Equal(12, registry.Get("s3").UploadConcurrency());
        Assert.Equal(S3Driver.DefaultUploads, (target with { MaxConcurrentUploads = null }).UploadConcurrency());
        string json = File.ReadAllText(registry.FilePath);
        Assert.Contains("\"CredentialSource\": \"Profile\"", json);
        foreach (var word in new[] { "Secret", "Password", "Token", "AccessKey" })
            Assert.DoesNotContain(word, json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_retention_policy_kept_with_a_target_round_trips_and_plans_as_its_rules_do()
    {
        using var dir = new TempDir();
        var registry = new TargetRegistry(dir.Path);
        var rules = new LonghornBackup.Engine.Lifecycle.RetentionRules
        {
            KeepDaily = 7, KeepWeekly = 4, KeepWithin = "30d", Label = new() { ["RecurringJob"] = "nightly" }, GroupByLabel = new[] { "app" }, Utc = true,
        };
        registry.Set(new BackupTargetDefinition("prod", "vfs:///mnt/backupstore", DateTimeOffset.UtcNow) { RetentionPolicy = rules });

        var loaded = new TargetRegistry(dir.Path).Get("prod").RetentionPolicy!;
        Assert.Equal(rules, loaded);
        Assert.Equal("KeepDaily=7, KeepWeekly=4, KeepWithin=30d, Label=RecurringJob=nightly, GroupByLabel=app, Utc", loaded.ToString());
        var policy = loaded.ToPolicy();
        Assert.Equal((7, 4, TimeZoneInfo.Utc), (policy.KeepDaily, policy.KeepWeekly, policy.TimeZone));
        Assert.Equal(new LonghornBackup.Engine.Lifecycle.RetentionDuration(0, 0, 30, 0), policy.KeepWithin);
        // A target without a policy writes no RetentionPolicy property, so older versions read the file as before.
        registry.Set(new BackupTargetDefinition("plain", "vfs:///mnt/other", DateTimeOffset.UtcNow));
        using var saved = JsonDocument.Parse(File.ReadAllText(registry.FilePath));
        Assert.False(saved.RootElement.EnumerateArray().Single(t => t.GetProperty("Name").GetString() == "plain").TryGetProperty("RetentionPolicy", out _));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{ \"KeepDaily\": 0 }")]
    [InlineData("{ \"KeepWithin\": \"7days\" }")]
    [InlineData("{ \"KeepLast\": 2, \"GroupByLabel\": [\" \"] }")]
    public void A_kept_policy_that_keeps_nothing_or_cannot_be_read_is_refused_when_applied(string json)
    {
        var rules = JsonSerializer.Deserialize<LonghornBackup.Engine.Lifecycle.RetentionRules>(json)!;
        Assert.Equal(ErrorIds.InvalidRetention, Assert.Throws<LonghornBackupException>(() => rules.ToPolicy()).ErrorId);
    }

    /// <summary>A targets.json as the module wrote it before store drivers were registered (S3 settings under "S3").</summary>
    private const string SavedBeforeDrivers = """
        [
          {
            "Name": "minio",
            "Url": "s3://lhb-test@us-east-1/saved/",
            "SetAt": "2026-11-20T08:00:00+00:00",
            "S3": {
              "EndpointUrl": "http://127.0.0.1:9",
              "ForcePathStyle": true,
              "CredentialSource": "Profile",
              "ProfileName": "LonghornBackup-minio",
              "ProfileLocation": "/home/u/.aws/credentials",
              "ProfileCreatedByModule": true
            },
            "MaxConcurrentUploads": 4
          }
        ]
        """;

    [Fact]
    public void A_targets_file_with_S3_settings_from_before_the_driver_registry_loads_and_is_saved_back_unchanged()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "targets.json"), SavedBeforeDrivers);
        var registry = new TargetRegistry(dir.Path);

        var saved = registry.Get("minio");
        var s3 = saved.S3();
        Assert.NotNull(s3);
        Assert.Equal(("http://127.0.0.1:9", true, CredentialSource.Profile, "LonghornBackup-minio", "/home/u/.aws/credentials", true),
            (s3!.EndpointUrl, s3.ForcePathStyle, s3.CredentialSource, s3.ProfileName, s3.ProfileLocation, s3.ProfileCreatedByModule));
        Assert.Equal(4, saved.UploadConcurrency());

        registry.Set(saved with { Name = "again" });
        Assert.Equal(saved with { Name = "again" }, new TargetRegistry(dir.Path).Get("again"));
        using var json = JsonDocument.Parse(File.ReadAllText(registry.FilePath));
        Assert.All(json.RootElement.EnumerateArray(), t => Assert.Equal("LonghornBackup-minio", t.GetProperty("S3").GetProperty("ProfileName").GetString()));
    }

    [Fact]
    public async Task An_S3_target_from_an_old_targets_file_opens_with_its_saved_settings()
    {
        using var dir = new TempDir();
        using var profiles = new TempDir();
        string credentials = Path.Combine(profiles.Path, "credentials");
        File.WriteAllText(credentials, "[LonghornBackup-minio]\naws_access_key_id = OLDKEYID\naws_secret_access_key = old-secret\n");
        File.WriteAllText(Path.Combine(dir.Path, "targets.json"), SavedBeforeDrivers.Replace("/home/u/.aws/credentials", credentials.Replace("\\", "\\\\")));
        var seen = new List<string>();

        var result = await TargetProbe.TestAsync(new TargetRegistry(dir.Path).Get("minio"),
            new StoreOpenOptions { Environment = _ => null, Diagnostics = seen.Add, MaxErrorRetry = 0, RequestTimeout = TimeSpan.FromSeconds(5) }, write: false, CancellationToken.None);

        // Opened with the saved endpoint and profile: settings resolve, and the listing goes to 127.0.0.1:9 (nothing listens).
        Assert.Equal(("Settings", true), (result.Checks[0].Name, result.Checks[0].Passed));
        Assert.Contains(seen, l => l.Contains("http://127.0.0.1:9/", StringComparison.Ordinal) && l.Contains("-EndpointUrl", StringComparison.Ordinal));
        Assert.Contains(seen, l => l.Contains("LonghornBackup-minio", StringComparison.Ordinal));
        Assert.Equal(ErrorIds.BackupTargetUnreachable, result.Problem!.ErrorId);
    }
}
