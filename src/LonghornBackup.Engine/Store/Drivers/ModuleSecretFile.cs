using System.Text;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// Keys given to Set-LhBackupTarget (an Azure account key, CIFS credentials) are kept as a Kubernetes Secret
/// manifest with Longhorn's variable names, in a file readable by its owner only under credentials/ beside
/// targets.json, which keeps only a reference to it, as the S3 driver keeps keys in an AWS credentials file.
/// </summary>
public static class ModuleSecretFile
{
    /// <summary>Writes <paramref name="values"/> as Secret <paramref name="secretName"/> in credentials/<paramref name="fileName"/> and returns the reference to save.</summary>
    public static CredentialSecretReference Write(string configDirectory, string fileName, string secretName, IEnumerable<KeyValuePair<string, string>> values)
    {
        string folder = Path.Combine(configDirectory, "credentials");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, fileName);
        var yaml = new StringBuilder()
            .Append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ").Append(secretName).Append("\ntype: Opaque\nstringData:\n");
        foreach (var pair in values) yaml.Append("  ").Append(pair.Key).Append(": ").Append(Quote(pair.Value)).Append('\n');
        string temp = file + ".tmp." + Environment.ProcessId;
#if NET
        // Created owner-only: the values are never readable by anyone else, not even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options)) stream.Write(Encoding.UTF8.GetBytes(yaml.ToString()));
#else
        // Windows PowerShell 5.1: the folder is in the user's profile, whose ACL admits only the user and SYSTEM.
        File.WriteAllBytes(temp, Encoding.UTF8.GetBytes(yaml.ToString()));
#endif
        File.Move(temp, file, overwrite: true);
        return new CredentialSecretReference(secretName, file);
    }

    /// <summary>Removes a Secret file this module wrote (a Secret the user gave is never touched).</summary>
    public static bool Remove(CredentialSecretReference? reference, bool createdByModule)
    {
        if (!createdByModule || reference is null) return false;
        File.Delete(reference.File);
        return true;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "''") + "'";
}
