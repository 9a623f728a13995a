using System.Text.RegularExpressions;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// Name rules of the backupstore. Names become path components, so these checks are also what keeps
/// "../" and other path tricks out of the store.
/// </summary>
public static partial class NameRules
{
    /// <summary>backupstore util.ValidateName: what readers accept from listings.</summary>
    private static readonly Regex StoreNamePattern = new("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", RegexOptions.CultureInvariant);

    /// <summary>Longhorn manager's stricter rule: volume names the manager lists (lower case).</summary>
    private static readonly Regex ManagerNamePattern = new("^[a-z0-9][a-z0-9_.-]+$", RegexOptions.CultureInvariant);

    private static readonly Regex GeneratedBackupNamePattern = new("^backup-[0-9a-f]{16}$", RegexOptions.CultureInvariant);

    public const int MaxVolumeNameLength = 64;

    /// <summary>
    /// "backup_&lt;name&gt;.cfg" and its temporary "….tmp.&lt;25 digits&gt;" must fit a file name (255 bytes): a longer
    /// name would fail only at write time, after volume.cfg is written.
    /// </summary>
    public const int MaxBackupNameLength = 200;

    public static bool IsValidStoreName(string? name) => name is not null && StoreNamePattern.IsMatch(name);

    /// <summary>A volume name this module writes: lower case so Longhorn's manager lists it, at most 64 characters.</summary>
    public static void ValidateVolumeNameForWrite(string? name)
    {
        if (name is null || !ManagerNamePattern.IsMatch(name) || name.Length > MaxVolumeNameLength)
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid volume name: use 2 to {MaxVolumeNameLength} characters of lower-case letters, digits, '_', '.' and '-', starting with a letter or digit.",
                name);
    }

    /// <summary>A volume name to read: the backupstore rule (Longhorn may have written upper case, e.g. BACKINGIMAGE).</summary>
    public static void ValidateVolumeNameForRead(string? name)
    {
        if (!IsValidStoreName(name))
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid volume name: names use letters, digits, '_', '.' and '-' and start with a letter or digit.",
                name);
    }

    public static void ValidateBackupName(string? name)
    {
        if (!IsValidStoreName(name))
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid backup name: names use letters, digits, '_', '.' and '-' and start with a letter or digit (Longhorn's own are 'backup-' and 16 hex digits).",
                name);
    }

    /// <summary>A backup name this module writes: the store's rule and at most <see cref="MaxBackupNameLength"/> characters.</summary>
    public static void ValidateBackupNameForWrite(string? name)
    {
        ValidateBackupName(name);
        if (name!.Length > MaxBackupNameLength)
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid backup name: it is {name.Length} characters long, the most is {MaxBackupNameLength}.", name);
    }

    public static bool IsGeneratedBackupName(string name) => GeneratedBackupNamePattern.IsMatch(name);

    /// <summary>backup-&lt;16 hex&gt;, the first 16 hex digits of a random UUIDv4, as Longhorn's GenerateName.</summary>
    public static string NewBackupName() => "backup-" + Guid.NewGuid().ToString("N")[..16];

    public static string NewLockName() => "lock-" + Guid.NewGuid().ToString("N")[..16];
}
