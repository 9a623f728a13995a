using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Reads the Secret a target references from its file, each time the target is used: the values stay in the user's
/// manifest and are never copied. A file or Secret that is gone, or no longer valid, is the CredentialsNotFound
/// error naming the file and the Secret (never a value), not a fallback to other credentials.
/// </summary>
public static class CredentialSecretFile
{
    /// <summary>The kinds a referenced file may hold: it was applied with Set-LhBackupTarget -Manifest or -SecretManifest.</summary>
    private const ManifestKinds Accepted = ManifestKinds.BackupTarget | ManifestKinds.Secret;

    public static SecretManifest Read(CredentialSecretReference reference)
    {
        string text;
        try
        {
            text = File.ReadAllText(reference.File);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            bool missing = e is FileNotFoundException or DirectoryNotFoundException;
            throw NotFound(reference, missing
                ? $"The credentials of this target are {reference}, but that file does not exist any more."
                : $"The credentials of this target are {reference}, but that file cannot be read ({e.GetType().Name}).");
        }

        ManifestSet set;
        try
        {
            // Checked when it was applied (and maybe relaxed then with -Validation): at use only the Secret is read.
            set = ManifestParser.Parse(text, reference.File, Accepted, ManifestValidation.Ignore);
        }
        catch (InvalidManifestException e)
        {
            // Problems name document, field and line; a Secret's problems never show its values.
            throw NotFound(reference,
                $"The credentials of this target are {reference}, but that file is no longer a valid manifest: {e.Problems[0]}");
        }
        return set.Secrets.LastOrDefault(s => s.Name == reference.Name)
            ?? throw NotFound(reference,
                $"The credentials of this target are {reference}, but that file holds no Secret named '{reference.Name}' any more" +
                (set.Secrets.Count == 0 ? "." : $" (it holds {string.Join(", ", set.Secrets.Select(s => $"'{s.Name}'"))})."));
    }

    internal static LonghornBackupException NotFound(CredentialSecretReference reference, string message) =>
        new(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError, message, reference.File,
            $"Put the Secret '{reference.Name}' back in '{reference.File}', or apply the target again: " +
            "Set-LhBackupTarget -Manifest <BackupTarget file> -SecretManifest <Secret file>.");
}
