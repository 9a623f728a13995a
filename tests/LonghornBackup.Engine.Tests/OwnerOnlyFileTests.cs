using System.Runtime.Versioning;
using LonghornBackup.Engine.Store.AzureBlob;
using LonghornBackup.Engine.Store.Cifs;
using LonghornBackup.Engine.Store.S3;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Every file the module writes keys or settings into is readable by its owner only from its first byte: the mode is
/// observed at the moment the file is created, before anything is written (a hook in <see cref="OwnerOnlyFile"/>), so a
/// chmod after writing cannot pass; an existing AWS credentials file is narrowed before the keys go in. Unix modes:
/// the suite runs on Linux (the Windows ACL path is the same call with a FileSecurity and is not exercised here).
/// </summary>
[UnsupportedOSPlatform("windows")]
public class OwnerOnlyFileTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static TheoryData<string> Writers() => new() { "Azure Blob Secret file", "CIFS Secret file", "targets.json", "new AWS credentials file" };

    [Theory]
    [MemberData(nameof(Writers))]
    public void A_file_holding_keys_or_settings_is_owner_only_from_its_creation(string writer)
    {
        using var dir = new TempDir();
        string config = Path.Combine(dir.Path, "config");   // not there yet: the writer creates it
        var created = new List<(string Path, UnixFileMode Mode, long Length)>();
        OwnerOnlyFile.Created.Value = p => created.Add((p, File.GetUnixFileMode(p), new FileInfo(p).Length));
        string file;
        try
        {
            file = writer switch
            {
                "Azure Blob Secret file" => AzureBlobSecretFile.Write(config, "az", "account1", Convert.ToBase64String(new byte[64]), null).File,
                "CIFS Secret file" => CifsSecretFile.Write(config, "smb", "backup", "pa55word").File,
                "targets.json" => Registry(config),
                _ => Profile(Path.Combine(dir.Path, "aws", "credentials")),
            };
        }
        finally
        {
            OwnerOnlyFile.Created.Value = null;
        }

        var first = Assert.Single(created);
        Assert.Equal(0, first.Length);                 // nothing written yet at that moment ...
        Assert.Equal(OwnerOnly, first.Mode);           // ... and only the owner may read or write it
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(file));
        Assert.True(new FileInfo(file).Length > 0);
        if (writer != "new AWS credentials file")
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
    }

    [Fact]
    public void Keys_go_into_an_existing_AWS_credentials_file_only_once_it_is_owner_only()
    {
        using var dir = new TempDir();
        string file = dir.File("credentials");
        File.WriteAllText(file, "[mine]\naws_access_key_id = AKIDMINE\naws_secret_access_key = my-secret\n");
        File.SetUnixFileMode(file, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var seen = new List<UnixFileMode>();
        S3CredentialProfiles.BeforeKeysWritten.Value = p => seen.Add(File.GetUnixFileMode(p));
        try { S3CredentialProfiles.Store("LonghornBackup-t", file, "AKIDEXAMPLE", "secret-value", null); }
        finally { S3CredentialProfiles.BeforeKeysWritten.Value = null; }

        Assert.Equal(OwnerOnly, Assert.Single(seen));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(file));
        Assert.True(S3CredentialProfiles.Exists("mine", file));
        Assert.True(S3CredentialProfiles.Exists("LonghornBackup-t", file));
    }

    private static string Registry(string config)
    {
        var registry = new TargetRegistry(config);
        registry.Set(new BackupTargetDefinition("t", "vfs:///mnt/backupstore", DateTimeOffset.UtcNow));
        return registry.FilePath;
    }

    private static string Profile(string file)
    {
        S3CredentialProfiles.Store("LonghornBackup-t", file, "AKIDEXAMPLE", "secret-value", null);
        return file;
    }
}
