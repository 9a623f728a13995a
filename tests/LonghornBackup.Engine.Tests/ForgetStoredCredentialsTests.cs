using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Cifs;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// What Set-LhBackupTarget and Remove-LhBackupTarget ask each driver: remove the credentials the module stored for a
/// target once nothing uses them, and never a profile or Secret the user made.
/// </summary>
public class ForgetStoredCredentialsTests
{
    [Fact]
    public void An_S3_profile_the_module_stored_goes_with_its_target_but_stays_while_a_new_definition_uses_it()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "credentials");
        S3CredentialProfiles.Store("LonghornBackup-t", file, "AKIDEXAMPLE", "secret-value", null);
        S3CredentialProfiles.Store("mine", file, "AKIDMINE", "my-secret", null);
        var url = TargetUrl.Parse("s3://bucket@us-east-1/p/");
        BackupTargetDefinition With(string profile, bool byModule) => new BackupTargetDefinition("t", url.Canonical, DateTimeOffset.UtcNow)
            .WithS3(new S3TargetSettings { CredentialSource = CredentialSource.Profile, ProfileName = profile, ProfileLocation = file, ProfileCreatedByModule = byModule });

        var stored = With("LonghornBackup-t", byModule: true);
        Assert.Empty(url.Driver.ForgetStoredCredentials(stored, stored with { MaxBytesPerSecond = 5 }));
        Assert.True(S3CredentialProfiles.Exists("LonghornBackup-t", file));

        Assert.Empty(url.Driver.ForgetStoredCredentials(With("mine", byModule: false), replacement: null));
        Assert.True(S3CredentialProfiles.Exists("mine", file));

        var said = Assert.Single(url.Driver.ForgetStoredCredentials(stored, new BackupTargetDefinition("t", "vfs:///mnt/x", DateTimeOffset.UtcNow)));
        Assert.Contains("'LonghornBackup-t'", said);
        Assert.False(S3CredentialProfiles.Exists("LonghornBackup-t", file));
        Assert.True(S3CredentialProfiles.Exists("mine", file));
        Assert.DoesNotContain("secret-value", File.ReadAllText(file));
    }

    [Fact]
    public void A_CIFS_Secret_file_the_module_wrote_goes_with_its_target_and_a_users_Secret_stays()
    {
        using var dir = new TempDir();
        var url = TargetUrl.Parse("cifs://files/share");
        var reference = CifsSecretFile.Write(dir.Path, "smb", "backup", "pa55word");
        var target = new BackupTargetDefinition("smb", url.Canonical, DateTimeOffset.UtcNow)
            .WithSettings(CifsDriver.KindName, new CifsTargetSettings { CredentialSecret = reference, SecretCreatedByModule = true });

        Assert.Empty(url.Driver.ForgetStoredCredentials(target, target with { SetAt = DateTimeOffset.UtcNow.AddMinutes(1) }));
        Assert.True(File.Exists(reference.File));

        string usersSecret = Path.Combine(dir.Path, "users-secret.yaml");
        File.WriteAllText(usersSecret, "apiVersion: v1\nkind: Secret\n");
        var users = target.WithSettings(CifsDriver.KindName, new CifsTargetSettings { CredentialSecret = reference with { File = usersSecret } });
        Assert.Empty(url.Driver.ForgetStoredCredentials(users, replacement: null));
        Assert.True(File.Exists(usersSecret));

        Assert.Contains(reference.File, Assert.Single(url.Driver.ForgetStoredCredentials(target, replacement: null)));
        Assert.False(File.Exists(reference.File));
    }

    [Fact]
    public void A_folder_or_NFS_target_has_nothing_to_forget()
    {
        foreach (var text in new[] { "vfs:///mnt/backupstore", "nfs://nas:/srv" })
        {
            var url = TargetUrl.Parse(text);
            Assert.Empty(url.Driver.ForgetStoredCredentials(new BackupTargetDefinition("t", url.Canonical, DateTimeOffset.UtcNow), replacement: null));
        }
    }
}
