namespace LonghornBackup.Engine.Targets;

/// <summary>
/// Where a target's credentials live when a Kubernetes Secret manifest supplies them: the Secret's metadata.name and
/// the absolute path of the YAML file that holds it. Only this reference is saved; the file is read again each time
/// the target is used, so the values are never copied into the module's settings.
/// </summary>
public sealed record CredentialSecretReference(string Name, string File)
{
    /// <summary>"the Secret 'name' in file '/path'": for messages and -Verbose. Names no value.</summary>
    public override string ToString() => $"the Secret '{Name}' in file '{File}'";
}
