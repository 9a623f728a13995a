using System.Text.Json;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// Named backup targets, persisted per user in targets.json so a scheduled task in a new session finds them.
/// The folder is $LONGHORNBACKUP_CONFIG_DIR when set (tests, demos), else the user's application-data folder
/// (~/.config/LonghornBackup on Linux, %APPDATA%\LonghornBackup on Windows).
/// </summary>
public sealed class TargetRegistry
{
    public const string DefaultName = "default";
    public const string ConfigDirVariable = "LONGHORNBACKUP_CONFIG_DIR";
    private static JsonSerializerOptions JsonOptions => TargetJson.Options;
    private static readonly object FileLock = new();

    public TargetRegistry(string? configDirectory = null)
    {
        ConfigDirectory = configDirectory ?? DefaultConfigDirectory();
    }

    public string ConfigDirectory { get; }
    public string FilePath => Path.Combine(ConfigDirectory, "targets.json");

    public static string DefaultConfigDirectory()
    {
        string? overridden = Environment.GetEnvironmentVariable(ConfigDirVariable);
        if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
        string appData = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(appData))
            appData = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(appData, "LonghornBackup");
    }

    public IReadOnlyList<BackupTargetDefinition> List()
    {
        lock (FileLock) return Load().Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    public BackupTargetDefinition? Find(string name)
    {
        lock (FileLock) return Load().TryGetValue(name, out var t) ? t : null;
    }

    /// <summary>The named target, or the BackupTargetNotSet error that tells the user how to set one.</summary>
    public BackupTargetDefinition Get(string name) =>
        Find(name) ?? throw new LonghornBackupException(ErrorIds.BackupTargetNotSet, ErrorKind.InvalidOperation,
            name == DefaultName
                ? "No backup target is set."
                : $"No backup target named '{name}' is set.",
            name,
            name == DefaultName
                ? "Set one first, e.g. Set-LhBackupTarget -Url /mnt/backupstore"
                : $"Set it first, e.g. Set-LhBackupTarget -Name {name} -Url /mnt/backupstore");

    public void Set(BackupTargetDefinition target)
    {
        ValidateName(target.Name);
        lock (FileLock)
        {
            var all = Load();
            all[target.Name] = target;
            Save(all);
        }
    }

    public bool Remove(string name)
    {
        lock (FileLock)
        {
            var all = Load();
            if (!all.Remove(name)) return false;
            Save(all);
            return true;
        }
    }

    /// <summary>Kubernetes' limit for a BackupTarget's name, so a target converts to a manifest Longhorn accepts.</summary>
    public const int MaxNameLength = 253;

    public static void ValidateName(string name)
    {
        if ((!NameRules.IsValidStoreName(name) && !(name.Length == 1 && char.IsAsciiLetterOrDigit(name[0]))) || name.Length > MaxNameLength)
            throw new LonghornBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid target name: use 1 to {MaxNameLength} letters, digits, '_', '.' and '-', starting with a letter or digit.", name);
    }

    private Dictionary<string, BackupTargetDefinition> Load()
    {
        if (!File.Exists(FilePath)) return new(StringComparer.Ordinal);
        try
        {
            var list = JsonSerializer.Deserialize<List<BackupTargetDefinition>>(File.ReadAllBytes(FilePath), JsonOptions) ?? new();
            return list.Where(t => t is not null && !string.IsNullOrEmpty(t.Name))
                       .ToDictionary(t => t.Name, StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData,
                $"The target settings file '{FilePath}' is not valid JSON: {e.Message}", FilePath,
                "Fix or delete the file, then set the target again with Set-LhBackupTarget.", e);
        }
    }

    private void Save(Dictionary<string, BackupTargetDefinition> all)
    {
        // Owner-only, like the credential files beside it: it names them, their profiles and the user's paths.
        OwnerOnlyFile.CreateFolder(ConfigDirectory);
        OwnerOnlyFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(all.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList(), JsonOptions));
    }
}
