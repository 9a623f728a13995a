using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Targets;
using O = LonghornBackup.Engine.Targets.TargetOptions;

namespace LonghornBackup.Engine.Store.S3;

/// <summary>
/// Set-LhBackupTarget's options for an S3 target. Keys given (-AccessKey/-SecretKey or -Credential) are stored as an
/// AWS credentials profile (the target's own, LonghornBackup-&lt;Name&gt;, unless -ProfileName names one); -ProfileName
/// alone uses an existing profile; without either the saved credentials stay (an AWS profile, a credential Secret, or
/// the environment), and -Clear Credential goes back to the environment and the SDK's default chain.
/// </summary>
internal static class S3TargetEditor
{
    public static IReadOnlyCollection<string> Options { get; } = new[]
    {
        O.EndpointUrl, O.Region, O.ForcePathStyle, O.AccessKey, O.SecretKey, O.SessionToken, O.Credential,
        O.ProfileName, O.ProfileLocation, O.CACertificatePath,
    };

    public static IReadOnlyCollection<string> Clearable { get; } = new[]
    {
        O.EndpointUrl, O.Region, O.ForcePathStyle, O.CACertificatePath, O.Credential,
    };

    public static TargetSettingsEdit Edit(TargetUrl url, string name, BackupTargetDefinition? saved, O options)
    {
        var old = saved?.S3() ?? new S3TargetSettings();
        // -Region is for URLs that name none: the URL's own region wins, so a -Region beside one changes nothing (the
        // Region of a target piped from Get-LhBackupTarget is its URL's).
        string? urlRegion = (url.Location as S3Location)?.Region;
        string? givenRegion = options.Text(O.Region);
        var settings = old with
        {
            EndpointUrl = Changed(options, O.EndpointUrl, old.EndpointUrl),
            Region = options.Clears(O.Region) ? null : urlRegion is null ? givenRegion ?? old.Region : old.Region,
            ForcePathStyle = options.Clears(O.ForcePathStyle) ? null : options.Flag(O.ForcePathStyle) ?? old.ForcePathStyle,
            CACertificatePath = Changed(options, O.CACertificatePath, old.CACertificatePath),
        };
        if (options.Clears(O.Credential))
            settings = settings with { CredentialSource = CredentialSource.Default, ProfileName = null, ProfileLocation = null, ProfileCreatedByModule = false, CredentialSecret = null };

        PendingCredentials? store = null;
        var keys = Keys(name, options);
        string? profileName = options.Text(O.ProfileName);
        string? location = options.Text(O.ProfileLocation);
        if (keys is { } k)
        {
            // Keys go to the profile named, else to the one the module keeps for this target.
            bool ours = profileName is null;
            profileName ??= old.ProfileCreatedByModule && old.ProfileName is not null ? old.ProfileName : S3CredentialProfiles.DefaultProfileName(name);
            location ??= profileName == old.ProfileName ? old.ProfileLocation : null;
            ours |= old.ProfileCreatedByModule && profileName == old.ProfileName && location == old.ProfileLocation;
            settings = settings with
            {
                CredentialSource = CredentialSource.Profile, ProfileName = profileName, ProfileLocation = location,
                ProfileCreatedByModule = ours, CredentialSecret = null,
            };
            string profile = profileName;
            string? at = location;
            store = new PendingCredentials($"store its keys as AWS credentials profile '{profile}'",
                () => $"Stored the keys as AWS credentials profile '{profile}' in {S3CredentialProfiles.Store(profile, at, k.AccessKey, k.SecretKey, k.Token)}.");
        }
        else if (profileName is not null || location is not null)
        {
            profileName ??= old.CredentialSource == CredentialSource.Profile ? old.ProfileName : null;
            if (profileName is null)
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    "-ProfileLocation names the file of an AWS credentials profile, but the target uses no profile.", name,
                    "Give -ProfileName too.");
            location ??= profileName == old.ProfileName ? old.ProfileLocation : null;
            settings = settings with
            {
                CredentialSource = CredentialSource.Profile, ProfileName = profileName, ProfileLocation = location, CredentialSecret = null,
                // The profile the module stored for the target stays the module's (removed with the target) when named again.
                ProfileCreatedByModule = old.ProfileCreatedByModule && profileName == old.ProfileName && location == old.ProfileLocation,
            };
            if (!S3CredentialProfiles.Exists(profileName, location))
                throw new LonghornBackupException(ErrorIds.CredentialsNotFound, ErrorKind.AuthenticationError,
                    $"The AWS credentials profile '{profileName}' was not found in {(location is null ? "the AWS credential stores" : $"'{location}'")}.",
                    profileName, "Create the profile first (Set-AWSCredential -StoreAs, aws configure --profile), or give the keys with -AccessKey/-SecretKey or -Credential.");
        }

        S3Settings.Validate(settings);
        var warnings = new List<string>();
        if (givenRegion is not null && urlRegion is not null && urlRegion != givenRegion)
            warnings.Add($"The URL names region '{urlRegion}'; -Region '{givenRegion}' is ignored.");
        return new TargetSettingsEdit(settings) { Credentials = store, Warnings = warnings };
    }

    /// <summary>The value given, else the saved one; null when cleared.</summary>
    private static string? Changed(O options, string option, string? saved) => options.Clears(option) ? null : options.Text(option) ?? saved;

    /// <summary>The key pair given (-AccessKey/-SecretKey or -Credential, with -SessionToken), or null; half a pair is refused.</summary>
    private static (string AccessKey, string SecretKey, string? Token)? Keys(string name, O options)
    {
        string? access = options.Secret(O.AccessKey), secret = options.Secret(O.SecretKey);
        if (options.UserAndPassword is { } credential)
        {
            access = credential.UserName;
            secret = credential.Password;
        }
        else if (access is null && secret is null) return null;
        if (string.IsNullOrWhiteSpace(access) || string.IsNullOrEmpty(secret))
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                "Both an access key and a secret key are needed.", name,
                "Give -AccessKey and -SecretKey, or -Credential with the access key as user name and the secret key as password.");
        string? token = options.Secret(O.SessionToken);
        return (access!, secret!, string.IsNullOrEmpty(token) ? null : token);
    }
}
