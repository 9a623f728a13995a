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
    /// <summary>The reference a Secret written by <see cref="Write"/> gets: the file is known before it is written (for -WhatIf).</summary>
    public static CredentialSecretReference ReferenceFor(string configDirectory, string fileName, string secretName) =>
        new(secretName, Path.Combine(configDirectory, "credentials", fileName));

    /// <summary>Writes <paramref name="values"/> as Secret <paramref name="secretName"/> in credentials/<paramref name="fileName"/> and returns the reference to save.</summary>
    public static CredentialSecretReference Write(string configDirectory, string fileName, string secretName, IEnumerable<KeyValuePair<string, string>> values)
    {
        var reference = ReferenceFor(configDirectory, fileName, secretName);
        OwnerOnlyFile.CreateFolder(Path.GetDirectoryName(reference.File)!);
        var yaml = new StringBuilder()
            .Append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ").Append(secretName).Append("\ntype: Opaque\nstringData:\n");
        foreach (var pair in values) yaml.Append("  ").Append(pair.Key).Append(": ").Append(Quote(pair.Value)).Append('\n');
        // Owner-only from its creation: the values are never readable by anyone else, not even for a moment.
        OwnerOnlyFile.Write(reference.File, Encoding.UTF8.GetBytes(yaml.ToString()));
        return reference;
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
