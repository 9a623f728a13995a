using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>
/// Set-LhBackupTarget on a target that exists, as a user changes one setting: everything else stays, stored keys
/// included, for every kind; piping Get-LhBackupTarget into it works; -Clear removes a setting explicitly; a URL of
/// another kind says what it drops; the hints that suggest a Set-LhBackupTarget command run safely as printed.
/// </summary>
public class TargetSettingsTests
{
    private const string Canary = "CANARY-target-settings-0c4f";
    private static readonly string AzureKey = Convert.ToBase64String(Encoding.ASCII.GetBytes(Canary + "-azure-key"));
    private static readonly string NewAzureKey = Convert.ToBase64String(Encoding.ASCII.GetBytes(Canary + "-rotated-key"));

    /// <summary>Each kind with all it keeps: endpoint, addressing, CA, stored keys, concurrency and bandwidth.</summary>
    public static TheoryData<string> Kinds() => new() { "folder", "s3", "azure", "nfs", "cifs" };

    private static string SetCommand(PowerShellHost h, string kind) => kind switch
    {
        "folder" => $"Set-LhBackupTarget -Name t -Url '{h.Target}'",
        "s3" => $"Set-LhBackupTarget -Name t -Url s3://lhb-test@us-east-1/x/ -EndpointUrl http://127.0.0.1:9 -ForcePathStyle -CACertificatePath '{CaFile(h)}' " +
                $"-AccessKey AKIDTEST -SecretKey '{Canary}'",
        "azure" => $"Set-LhBackupTarget -Name t -Url azblob://lhb-test/x/ -EndpointUrl http://127.0.0.1:9 -AccountName devstoreaccount1 -AccountKey '{AzureKey}'",
        "nfs" => "Set-LhBackupTarget -Name t -Url 'nfs://nas.example:/srv/longhorn'",
        "cifs" => $"Set-LhBackupTarget -Name t -Url 'cifs://files.example/longhorn' -Credential ([pscredential]::new('backup', (ConvertTo-SecureString '{Canary}' -AsPlainText -Force)))",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    } + " -MaxConcurrentUploads 3 -MaxBytesPerSecond 5MB -WarningAction SilentlyContinue";

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Piping_a_target_into_Set_LhBackupTarget_with_one_setting_changes_that_setting_only(string kind)
    {
        using var h = WithShares(new PowerShellHost());
        Run(h, SetCommand(h, kind));
        var before = Saved(h, "t");
        var files = Files(h);
        string? storedKeys = kind switch { "s3" => "aws-credentials", "azure" => "config/credentials/t.azblob-secret.yaml", "cifs" => "config/credentials/t.cifs-secret.yaml", _ => null };
        if (storedKeys is not null) Assert.Contains(storedKeys, files.Keys);

        Run(h, "Get-LhBackupTarget -Name t | Set-LhBackupTarget -RetentionPolicy @{ KeepDaily = 7 } -WarningAction SilentlyContinue");

        var after = Saved(h, "t");
        Assert.Equal("KeepDaily=7", Run(h, "\"$((Get-LhBackupTarget -Name t).RetentionPolicy)\"").Single().ToString());
        after.Remove("RetentionPolicy");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());   // URL, endpoint, CA, credentials, concurrency, bandwidth
        Assert.Equal(Without(files, "config/targets.json"), Without(Files(h), "config/targets.json"));   // stored keys untouched
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Without_Url_only_the_settings_given_change_and_Clear_removes_one(string kind)
    {
        using var h = WithShares(new PowerShellHost());
        Run(h, SetCommand(h, kind));
        var before = Saved(h, "t");
        var files = Without(Files(h), "config/targets.json");

        Run(h, "Set-LhBackupTarget -Name t -MaxBytesPerSecond 1MB -WarningAction SilentlyContinue");
        var changed = Saved(h, "t");
        Assert.Equal(1L << 20, changed["MaxBytesPerSecond"]!.GetValue<long>());
        changed["MaxBytesPerSecond"] = before["MaxBytesPerSecond"]!.GetValue<long>();
        Assert.Equal(before.ToJsonString(), changed.ToJsonString());

        Run(h, "Set-LhBackupTarget -Name t -Clear MaxConcurrentUploads -WarningAction SilentlyContinue");
        var cleared = Saved(h, "t");
        Assert.Null(cleared["MaxConcurrentUploads"]);
        Assert.Equal(1L << 20, cleared["MaxBytesPerSecond"]!.GetValue<long>());
        Assert.Equal(files, Without(Files(h), "config/targets.json"));
    }

    [Fact]
    public void The_RetentionPolicyNotSet_hint_runs_as_printed_and_keeps_the_endpoint_and_the_stored_keys()
    {
        using var h = new PowerShellHost();
        Run(h, $"Set-LhBackupTarget -Name local-s3 -Url s3://lhb-test@us-east-1/x/ -EndpointUrl http://127.0.0.1:9 -AccessKey AKIDTEST -SecretKey '{Canary}' -WarningAction SilentlyContinue");
        var before = Saved(h, "local-s3");
        string credentials = File.ReadAllText(Path.Combine(h.Work, "aws-credentials"));

        var (_, errors) = h.Run("Remove-LhBackup -Target local-s3 -VolumeName v1 -UseTargetPolicy -Force");
        var error = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.RetentionPolicyNotSet + ",", error.FullyQualifiedErrorId);
        string hint = Regex.Match(error.ErrorDetails.RecommendedAction, "Set-LhBackupTarget .*$").Value;
        Assert.Equal("Set-LhBackupTarget -Name local-s3 -RetentionPolicy @{ KeepDaily = 7 }", hint);

        Run(h, hint + " -WarningAction SilentlyContinue");

        var after = Saved(h, "local-s3");
        Assert.Equal(7, after["RetentionPolicy"]!["KeepDaily"]!.GetValue<int>());
        after.Remove("RetentionPolicy");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal(credentials, File.ReadAllText(Path.Combine(h.Work, "aws-credentials")));
        Assert.Contains("[LonghornBackup-local-s3]", credentials);
    }

    [Fact]
    public void The_hints_for_a_target_not_set_name_a_command_that_runs_as_printed()
    {
        using var h = new PowerShellHost();
        foreach (string command in new[] { "Get-LhBackupTarget -Name fresh", "Test-LhBackupTarget -Name fresh", "Get-LhBackup -Target fresh", "Set-LhBackupTarget -Name fresh" })
        {
            var (_, errors) = h.Run(command);
            var error = Assert.Single(errors);
            Assert.StartsWith(ErrorIds.BackupTargetNotSet + ",", error.FullyQualifiedErrorId);
            string hint = Regex.Match(error.ErrorDetails.RecommendedAction, "Set-LhBackupTarget .*$").Value;
            Assert.Equal("Set-LhBackupTarget -Name fresh -Url /mnt/backupstore", hint);
            // As printed, it parses and runs: where /mnt/backupstore does not exist it is refused and nothing is saved.
            var (_, hintErrors) = h.Run(hint);
            if (Directory.Exists("/mnt/backupstore")) Assert.Empty(hintErrors);
            else Assert.StartsWith(ErrorIds.BackupTargetUnreachable + ",", Assert.Single(hintErrors).FullyQualifiedErrorId);
        }
    }

    [Fact]
    public void Clearing_the_credentials_removes_the_keys_the_module_stored_and_keeps_the_rest()
    {
        using var h = new PowerShellHost();
        Run(h, SetCommand(h, "s3"));
        Run(h, "Set-LhBackupTarget -Name t -Clear Credential, EndpointUrl -WarningAction SilentlyContinue");
        var s3 = Saved(h, "t")["S3"]!;
        Assert.Equal("Default", s3["CredentialSource"]!.GetValue<string>());
        Assert.Null(s3["ProfileName"]);
        Assert.Null(s3["EndpointUrl"]);
        Assert.True(s3["ForcePathStyle"]!.GetValue<bool>());
        Assert.NotNull(s3["CACertificatePath"]);
        Assert.DoesNotContain("LonghornBackup-t", File.ReadAllText(Path.Combine(h.Work, "aws-credentials")));
    }

    [Theory]
    [InlineData("Set-LhBackupTarget -Name t -Clear Region", "-Clear Region applies to S3 targets only")]
    [InlineData("Set-LhBackupTarget -Name t -EndpointUrl http://127.0.0.1:9", "-EndpointUrl applies to S3, AzureBlob targets only")]
    [InlineData("Set-LhBackupTarget -Name t -MaxBytesPerSecond 1MB -Clear MaxBytesPerSecond", "-MaxBytesPerSecond and -Clear MaxBytesPerSecond were both given")]
    public void A_change_that_cannot_apply_is_refused_and_changes_nothing(string command, string message)
    {
        using var h = new PowerShellHost();
        Run(h, SetCommand(h, "folder"));
        var files = Files(h);
        var (_, errors) = h.Run(command);
        var error = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.InvalidTargetSetting + ",", error.FullyQualifiedErrorId);
        Assert.Contains(message, error.Exception.Message);
        Assert.Equal(files, Files(h));
    }

    [Fact]
    public void A_URL_of_another_kind_says_what_it_drops_and_a_URL_of_the_same_kind_keeps_the_kinds_settings()
    {
        using var h = new PowerShellHost();
        Run(h, SetCommand(h, "s3"));
        Run(h, "Set-LhBackupTarget -Name t -Url s3://lhb-other@eu-west-1/y/ -WarningAction SilentlyContinue");
        var moved = Saved(h, "t");
        Assert.Equal("s3://lhb-other@eu-west-1/y/", moved["Url"]!.GetValue<string>());
        Assert.Equal("http://127.0.0.1:9", moved["S3"]!["EndpointUrl"]!.GetValue<string>());
        Assert.Equal("LonghornBackup-t", moved["S3"]!["ProfileName"]!.GetValue<string>());
        Assert.Contains("[LonghornBackup-t]", File.ReadAllText(Path.Combine(h.Work, "aws-credentials")));

        var (output, errors) = h.Run($"Set-LhBackupTarget -Name t -Url '{h.Target}' 3>&1");
        Assert.Empty(errors);
        string warnings = string.Join("\n", output.Select(o => o.BaseObject).OfType<WarningRecord>().Select(w => w.Message));
        Assert.Contains("Target 't' changes from S3 to FileSystem: its S3 settings (EndpointUrl, ForcePathStyle, CACertificatePath, CredentialSource, ProfileName) do not apply", warnings);
        Assert.Contains("Removed the AWS credentials profile 'LonghornBackup-t'", warnings);
        var folder = Saved(h, "t");
        Assert.Null(folder["S3"]);
        Assert.Equal(5L << 20, folder["MaxBytesPerSecond"]!.GetValue<long>());   // the target's own settings stay
        Assert.DoesNotContain("LonghornBackup-t", File.ReadAllText(Path.Combine(h.Work, "aws-credentials")));
    }

    [Fact]
    public void An_Azure_key_rotates_alone_and_an_account_name_never_turns_a_keyed_target_into_identity_sign_in()
    {
        using var h = new PowerShellHost();
        Run(h, SetCommand(h, "azure"));
        string secretFile = Path.Combine(h.Work, "config", "credentials", "t.azblob-secret.yaml");

        Run(h, $"Set-LhBackupTarget -Name t -AccountKey '{NewAzureKey}' -WarningAction SilentlyContinue");
        string rotated = File.ReadAllText(secretFile);
        Assert.Contains($"AZBLOB_ACCOUNT_KEY: '{NewAzureKey}'", rotated);
        Assert.Contains("AZBLOB_ACCOUNT_NAME: 'devstoreaccount1'", rotated);

        Run(h, "Set-LhBackupTarget -Name t -AccountName devstoreaccount1 -WarningAction SilentlyContinue");   // the account it has: no change
        Assert.Equal(rotated, File.ReadAllText(secretFile));
        var before = Saved(h, "t");
        var (_, errors) = h.Run("Set-LhBackupTarget -Name t -AccountName otheraccount");
        var error = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.InvalidTargetSetting + ",", error.FullyQualifiedErrorId);
        Assert.Contains("keeps keys for account 'devstoreaccount1'", error.Exception.Message);
        Assert.Contains("-Clear Credential", error.ErrorDetails.RecommendedAction);
        Assert.Equal(before.ToJsonString(), Saved(h, "t").ToJsonString());

        Run(h, "Set-LhBackupTarget -Name t -Clear Credential -WarningAction SilentlyContinue");
        Assert.False(File.Exists(secretFile));
        Assert.Equal("devstoreaccount1", Saved(h, "t")["AzureBlob"]!["AccountName"]!.GetValue<string>());   // an identity signs in to it now
        Assert.Contains("Azure identity", Run(h, "(Get-LhBackupTarget -Name t).KeySource").Single().ToString());
    }

    [Fact]
    public void A_SAS_token_given_to_Set_LhBackupTarget_is_the_key_the_target_uses()
    {
        using var h = new PowerShellHost();
        Run(h, "Set-LhBackupTarget -Name sas -Url azblob://lhb-test/x/ -EndpointUrl http://127.0.0.1:9 -AccountName devstoreaccount1 -SasToken 'sv=2024-01-01&sig=abc' -WarningAction SilentlyContinue");
        Assert.StartsWith("a SAS token for account 'devstoreaccount1' (AZBLOB_SAS_TOKEN of the Secret", Run(h, "(Get-LhBackupTarget -Name sas).KeySource").Single().ToString());
    }

    [Fact]
    public void A_BackupTarget_manifest_applied_again_keeps_the_targets_own_settings()
    {
        using var h = new PowerShellHost();
        Run(h, $"Set-LhBackupTarget -Name default -Url '{h.Target}' -MaxBytesPerSecond 5MB -RetentionPolicy @{{ KeepLast = 3 }}");
        string manifest = Path.Combine(h.Work, "target.yaml");
        File.WriteAllText(manifest, $"apiVersion: longhorn.io/v1beta2\nkind: BackupTarget\nmetadata:\n  name: default\nspec:\n  backupTargetURL: vfs://{h.Target}\n  pollInterval: 1m0s\n");
        Run(h, $"Set-LhBackupTarget -Manifest '{manifest}' -MaxConcurrentUploads 2");
        var saved = Saved(h, "default");
        Assert.Equal(5L << 20, saved["MaxBytesPerSecond"]!.GetValue<long>());     // a manifest has no field for these: kept
        Assert.Equal(3, saved["RetentionPolicy"]!["KeepLast"]!.GetValue<int>());
        Assert.Equal(2, saved["MaxConcurrentUploads"]!.GetValue<int>());           // given with the manifest: set
        Assert.Equal("00:01:00", saved["PollInterval"]!.GetValue<string>());      // from the manifest
    }

    [Fact]
    public void A_new_target_needs_a_URL()
    {
        using var h = new PowerShellHost();
        var (_, errors) = h.Run("Set-LhBackupTarget -Name fresh -MaxBytesPerSecond 1MB");
        var error = Assert.Single(errors);
        Assert.StartsWith(ErrorIds.BackupTargetNotSet + ",", error.FullyQualifiedErrorId);
        Assert.Contains("no -Url was given", error.Exception.Message);
        Assert.False(File.Exists(Path.Combine(h.Work, "config", "targets.json")));
    }

    [Fact]
    public void Clear_takes_exactly_the_settings_the_engine_can_clear()
    {
        var names = typeof(Commands.SetLhBackupTargetCommand).GetProperty("Clear")!.GetCustomAttributes(typeof(ValidateSetAttribute), false)
            .Cast<ValidateSetAttribute>().Single().ValidValues;
        Assert.Equal(Engine.Targets.TargetChanges.ClearableNames.Order(), names.Order());
    }

    /// <summary>Runs a script that must not fail; returns its output.</summary>
    private static List<PSObject> Run(PowerShellHost h, string script)
    {
        var (output, errors) = h.Run(script);
        Assert.True(errors.Count == 0, $"{script}: {string.Join(" | ", errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message))}");
        return output;
    }

    /// <summary>The target's entry in targets.json, without the time it was last set.</summary>
    private static JsonObject Saved(PowerShellHost h, string name)
    {
        var all = JsonNode.Parse(File.ReadAllText(Path.Combine(h.Work, "config", "targets.json")))!.AsArray();
        var entry = all.Single(t => t!["Name"]!.GetValue<string>() == name)!.AsObject();
        entry.Remove("SetAt");
        return JsonNode.Parse(entry.ToJsonString())!.AsObject();
    }

    /// <summary>Every file under the settings folder and the private AWS credentials file, with a hash of its content.</summary>
    private static SortedDictionary<string, string> Files(PowerShellHost h)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string f in Directory.EnumerateFiles(h.Work, "*", SearchOption.AllDirectories)
                     .Where(f => Path.GetRelativePath(h.Work, f).Replace('\\', '/') is var r && (r.StartsWith("config/", StringComparison.Ordinal) || r == "aws-credentials")))
            files[Path.GetRelativePath(h.Work, f).Replace('\\', '/')] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return files;
    }

    private static SortedDictionary<string, string> Without(SortedDictionary<string, string> files, string key)
    {
        var copy = new SortedDictionary<string, string>(files, StringComparer.Ordinal);
        copy.Remove(key);
        return copy;
    }

    /// <summary>A PEM CA certificate file for -CACertificatePath.</summary>
    private static string CaFile(PowerShellHost h)
    {
        string path = Path.Combine(h.Work, "ca.pem");
        if (File.Exists(path)) return path;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=lhb-test-ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(path, cert.ExportCertificatePem());
        return path;
    }

    /// <summary>
    /// NFS and CIFS exports "mounted" in a mount table the test writes (LONGHORNBACKUP_MOUNTINFO, as Shares.Tests.ps1
    /// does), so setting and listing such targets never tries a real mount.
    /// </summary>
    private static PowerShellHost WithShares(PowerShellHost h)
    {
        string nfs = Directory.CreateDirectory(Path.Combine(h.Work, "nfs-mount")).FullName, cifs = Directory.CreateDirectory(Path.Combine(h.Work, "cifs-mount")).FullName;
        string table = Path.Combine(h.Work, "mountinfo");
        File.WriteAllLines(table, new[]
        {
            "22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            $"95 22 0:52 / {nfs} rw,relatime shared:40 - nfs4 nas.example:/srv/longhorn rw,vers=4.1,soft,timeo=300",
            $"96 22 0:53 / {cifs} rw,relatime shared:41 - cifs //files.example/longhorn rw,vers=3.1.1,soft",
        });
        Environment.SetEnvironmentVariable("LONGHORNBACKUP_MOUNTINFO", table);
        h.OnDispose(new Reset("LONGHORNBACKUP_MOUNTINFO"));
        return h;
    }

    private sealed class Reset(string variable) : IDisposable
    {
        public void Dispose() => Environment.SetEnvironmentVariable(variable, null);
    }
}
