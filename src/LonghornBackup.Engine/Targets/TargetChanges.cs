using System.Text.Json;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup.Engine.Targets;

/// <summary>
/// Set-LhBackupTarget on a name: a new target from what is given, or an existing one changed. Changing one setting keeps
/// every other one, stored keys included; -Clear removes a setting explicitly. A URL of the same kind keeps the kind's
/// settings (endpoint, credentials, ...); a URL of another kind starts that kind's settings afresh and says what was
/// dropped. Nothing is written here: the plan is checked whole first, so a bad value saves and stores nothing.
/// </summary>
public static class TargetChanges
{
    /// <summary>Settings every kind has, which -Clear removes.</summary>
    public const string MaxConcurrentUploads = "MaxConcurrentUploads", MaxBytesPerSecond = "MaxBytesPerSecond",
        RetentionPolicy = "RetentionPolicy", PollInterval = "PollInterval";

    private static readonly string[] CommonClearable = { MaxConcurrentUploads, MaxBytesPerSecond, RetentionPolicy, PollInterval };

    /// <summary>Every name -Clear takes, for any kind this version knows.</summary>
    public static IReadOnlyList<string> ClearableNames { get; } = CommonClearable
        .Concat(StoreDrivers.All.OfType<ITargetSettingsEditor>().SelectMany(e => e.Clearable)).Distinct(StringComparer.Ordinal).ToList();

    public static TargetChangePlan Plan(BackupTargetDefinition? saved, TargetChangeRequest request)
    {
        TargetRegistry.ValidateName(request.Name);
        var url = request.Url ?? (saved is null ? throw NotSet(request.Name) : TargetUrl.Parse(saved.Url));
        var editor = url.Driver as ITargetSettingsEditor;
        var options = request.Options;
        CheckOptionsApply(url, editor, options);
        CheckClear(url, editor, request);

        string? savedKind = saved is null ? null : StoreDrivers.ForUrlText(saved.Url)?.Kind;
        bool sameKind = savedKind == url.Kind;
        var edit = editor?.Edit(url, request.Name, sameKind ? saved : null, options, request.ConfigDirectory)
                   ?? new TargetSettingsEdit(url.Driver.PlanSettings(url, new TargetSettingsInput { Name = request.Name }, null));

        var definition = new BackupTargetDefinition(request.Name, url.Canonical, DateTimeOffset.UtcNow)
        {
            PollInterval = options.Clears(PollInterval) ? null : saved?.PollInterval,
            MaxConcurrentUploads = request.MaxConcurrentUploads ?? (options.Clears(MaxConcurrentUploads) ? null : saved?.MaxConcurrentUploads),
            MaxBytesPerSecond = request.MaxBytesPerSecond ?? (options.Clears(MaxBytesPerSecond) ? null : saved?.MaxBytesPerSecond),
            RetentionPolicy = request.RetentionPolicy ?? (options.Clears(RetentionPolicy) ? null : saved?.RetentionPolicy),
            DriverSettings = saved?.DriverSettings,   // with what a newer version wrote, which this one keeps as read
        };
        var warnings = new List<string>(edit.Warnings);
        if (saved is not null && !sameKind && savedKind is not null)
        {
            if (Described(saved, savedKind) is { } dropped)
                warnings.Add($"Target '{request.Name}' changes from {savedKind} to {url.Kind}: its {savedKind} settings ({dropped}) do not apply to a {url.Kind} target and are dropped.");
            definition = definition.WithSettings(savedKind, null);
        }
        definition = definition.WithSettings(url.Kind, edit.Settings);

        var changes = new List<string>();
        if (request.Url is not null && saved is not null && saved.Url != url.Canonical) changes.Add("Url");
        if (request.MaxConcurrentUploads is not null) changes.Add(MaxConcurrentUploads);
        if (request.MaxBytesPerSecond is not null) changes.Add(MaxBytesPerSecond);
        if (request.RetentionPolicy is not null) changes.Add(RetentionPolicy);
        changes.AddRange(options.Given);
        changes.AddRange(options.Cleared.Select(c => "clear " + c));
        return new TargetChangePlan(definition, saved, url)
        {
            Credentials = edit.Credentials,
            Warnings = warnings,
            Changes = changes,
            ChangesKind = saved is not null && !sameKind,
        };
    }

    /// <summary>
    /// A target applied from a BackupTarget manifest over a saved one: the manifest (with its command-line options)
    /// declares the URL and the store's settings; the module's own settings, which a manifest has no field for
    /// (concurrency, bandwidth, retention policy), are kept unless given again.
    /// </summary>
    public static BackupTargetDefinition KeepModuleSettings(BackupTargetDefinition applied, BackupTargetDefinition? saved) =>
        saved is null ? applied : applied with
        {
            MaxConcurrentUploads = applied.MaxConcurrentUploads ?? saved.MaxConcurrentUploads,
            MaxBytesPerSecond = applied.MaxBytesPerSecond ?? saved.MaxBytesPerSecond,
            RetentionPolicy = applied.RetentionPolicy ?? saved.RetentionPolicy,
        };

    /// <summary>Refuses a store option the target's kind does not take, naming the kinds that do.</summary>
    private static void CheckOptionsApply(TargetUrl url, ITargetSettingsEditor? editor, TargetOptions options)
    {
        var misplaced = options.Given.FirstOrDefault(o => editor?.Options.Contains(o, StringComparer.OrdinalIgnoreCase) != true);
        if (misplaced is null) return;
        throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
            $"-{misplaced} applies to {Takers(misplaced, e => e.Options)} targets only; '{url.Canonical}' is {KindWords(url)}.", misplaced);
    }

    /// <summary>-Clear names a setting of this kind (or every kind's), and not one given in the same call.</summary>
    private static void CheckClear(TargetUrl url, ITargetSettingsEditor? editor, TargetChangeRequest request)
    {
        foreach (var name in request.Options.Cleared)
        {
            bool common = CommonClearable.Contains(name, StringComparer.OrdinalIgnoreCase);
            if (!common && editor?.Clearable.Contains(name, StringComparer.OrdinalIgnoreCase) != true)
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    $"-Clear {name} applies to {Takers(name, e => e.Clearable)} targets only; '{url.Canonical}' is {KindWords(url)}.", name);
            bool given = request.Options.Has(name)
                || name.Equals(MaxConcurrentUploads, StringComparison.OrdinalIgnoreCase) && request.MaxConcurrentUploads is not null
                || name.Equals(MaxBytesPerSecond, StringComparison.OrdinalIgnoreCase) && request.MaxBytesPerSecond is not null
                || name.Equals(RetentionPolicy, StringComparison.OrdinalIgnoreCase) && request.RetentionPolicy is not null;
            if (given)
                throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                    $"-{name} and -Clear {name} were both given; nothing was saved.", name, $"Give -{name} to change the setting, or -Clear {name} to remove it.");
        }
    }

    private static string Takers(string option, Func<ITargetSettingsEditor, IReadOnlyCollection<string>> names)
    {
        var kinds = StoreDrivers.All.Where(d => d is ITargetSettingsEditor e && names(e).Contains(option, StringComparer.OrdinalIgnoreCase)).Select(d => d.Kind).ToList();
        return kinds.Count == 0 ? "no kind of" : string.Join(", ", kinds);
    }

    private static string KindWords(TargetUrl url) => url.LocalPath is null ? $"a {url.Kind} target" : "a folder";

    /// <summary>The names of the settings saved under <paramref name="kind"/> that are set, for a warning; null when none.</summary>
    private static string? Described(BackupTargetDefinition saved, string kind)
    {
        if (saved.DriverSettings?.TryGetValue(kind, out var json) != true || json.ValueKind != JsonValueKind.Object) return null;
        // Bookkeeping (who created a stored key, the credential source's default) is not a setting the user made.
        var set = json.EnumerateObject()
            .Where(p => p.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.False) && !p.Name.EndsWith("CreatedByModule", StringComparison.Ordinal)
                        && !(p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is "Default" or ""))
            .Select(p => p.Name).ToList();
        return set.Count == 0 ? null : string.Join(", ", set);
    }

    private static LonghornBackupException NotSet(string name) =>
        new(ErrorIds.BackupTargetNotSet, ErrorKind.InvalidOperation,
            $"No backup target named '{name}' is set, and no -Url was given to set it.", name,
            $"Give its URL, e.g. Set-LhBackupTarget -Name {name} -Url /mnt/backupstore");
}
