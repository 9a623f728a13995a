using Amazon.Runtime.CredentialManagement;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Stores keys given to Set-LhBackupTarget as a named AWS credentials profile, so targets.json holds only the
/// profile's name. Where the SDK keeps profiles is where AWS Tools' Set-AWSCredential -StoreAs keeps them: the
/// encrypted .NET SDK store on Windows, the shared credentials file (~/.aws/credentials, or
/// $env:AWS_SHARED_CREDENTIALS_FILE) elsewhere, or the file given as the profile location.
/// </summary>
public static class S3CredentialProfiles
{
    /// <summary>The profile name used for a target's keys when the user names none.</summary>
    public static string DefaultProfileName(string targetName) => "LonghornBackup-" + targetName;

    /// <summary>Writes (or replaces) the profile and returns a description of where it went (no secret).</summary>
    public static string Store(string profileName, string? profileLocation, string accessKey, string secretKey, string? sessionToken)
    {
        if (string.IsNullOrWhiteSpace(accessKey) || string.IsNullOrEmpty(secretKey))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                "Both an access key and a secret key are needed.", profileName,
                "Give -AccessKey and -SecretKey together, or -Credential (user name = access key, password = secret key).");
        var profile = new CredentialProfile(profileName, new CredentialProfileOptions
        {
            AccessKey = accessKey.Trim(),
            SecretKey = secretKey,
            Token = string.IsNullOrEmpty(sessionToken) ? null : sessionToken,
        });
        try
        {
            string? path = SharedFilePath(profileLocation);
            if (path is null)
            {
                new CredentialProfileStoreChain().RegisterProfile(profile);   // Windows: the encrypted .NET SDK store
                return "the .NET SDK's encrypted credential store";
            }
            var file = new SharedCredentialsFile(path);
            // Owner-only before the keys are written: a new file is created so, an existing one narrowed first (the
            // SDK rewrites the file in place, keeping its mode).
            if (!OwnerOnlyFile.CreateEmpty(file.FilePath)) OwnerOnlyFile.Restrict(file.FilePath);
            BeforeKeysWritten.Value?.Invoke(file.FilePath);
            file.RegisterProfile(profile);
            return file.FilePath;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.WriteError,
                $"The AWS credentials profile '{profileName}' could not be saved{(profileLocation is null ? "" : $" to '{profileLocation}'")}: {e.Message}", profileName,
                "Check that the credentials file and its folder are writable, or name an existing profile with -ProfileName.", e);
        }
    }

    /// <summary>Removes a profile the module created; a missing profile is not an error.</summary>
    public static void Remove(string profileName, string? profileLocation)
    {
        try
        {
            string? path = SharedFilePath(profileLocation);
            if (path is null) new CredentialProfileStoreChain().UnregisterProfile(profileName);
            else new SharedCredentialsFile(path).UnregisterProfile(profileName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.WriteError,
                $"The AWS credentials profile '{profileName}' could not be removed: {e.Message}", profileName, inner: e);
        }
    }

    /// <summary>
    /// The shared credentials file to write: the given one, else $env:AWS_SHARED_CREDENTIALS_FILE (which the SDK's
    /// defaults do not reliably honour), else ~/.aws/credentials; null on Windows
    /// without either, meaning the encrypted .NET SDK store.
    /// </summary>
    private static string? SharedFilePath(string? profileLocation)
    {
        if (profileLocation is not null) return profileLocation;
        if (EnvironmentFile() is { } fromEnvironment) return fromEnvironment;
        return OperatingSystem.IsWindows() ? null : SharedCredentialsFile.DefaultFilePath;
    }

    /// <summary>Whether the profile exists where the target will look for it.</summary>
    public static bool Exists(string profileName, string? profileLocation) =>
        new CredentialProfileStoreChain(profileLocation ?? EnvironmentFile()).TryGetProfile(profileName, out _);

    private static string? EnvironmentFile() =>
        Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE") is { Length: > 0 } path ? path : null;

    /// <summary>Called with the shared credentials file just before the keys are written to it: tests observe its mode then.</summary>
    internal static readonly AsyncLocal<Action<string>?> BeforeKeysWritten = new();
}
