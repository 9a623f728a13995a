using System.Collections;
using System.Globalization;
using System.Management.Automation;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Hosting;

/// <summary>
/// Reads a retention policy given as a value: a hashtable (@{ KeepDaily = 7; KeepWithin = '30d' }), the data of a
/// .psd1 file, a PSCustomObject from JSON, or a target's RetentionPolicy property. Names are matched without case;
/// a name that is not a rule is refused (a typo such as KeepDayly must not silently keep everything). The policy is
/// checked here, so a bad one is refused before anything is saved or removed.
/// </summary>
internal static class RetentionArguments
{
    public static RetentionRules ToRules(object? value)
    {
        object? raw = value is PSObject wrapped ? wrapped.BaseObject : value;
        if (raw is RetentionRules given)
        {
            given.ToPolicy();
            return given;
        }
        var entries = new List<(string Name, object? Value)>();
        if (raw is IDictionary dictionary)
        {
            foreach (DictionaryEntry e in dictionary) entries.Add((LanguagePrimitives.ConvertTo<string>(e.Key) ?? "", e.Value));
        }
        else if (raw is not null && raw is not string && !raw.GetType().IsPrimitive)
        {
            foreach (var p in PSObject.AsPSObject(value!).Properties.Where(p => p.IsGettable && p.MemberType is PSMemberTypes.NoteProperty or PSMemberTypes.Property))
                entries.Add((p.Name, p.Value));
        }
        else
        {
            throw Invalid($"A retention policy is a hashtable of rules such as @{{ KeepDaily = 7; KeepWeekly = 4 }}, not '{raw}'.", raw);
        }

        int? keepLast = null, keepHourly = null, keepDaily = null, keepWeekly = null, keepMonthly = null, keepYearly = null;
        string? keepWithin = null;
        Dictionary<string, string>? label = null;
        string[]? groupBy = null;
        bool utc = false;
        foreach (var (name, entryValue) in entries)
        {
            string? known = RetentionRules.Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            if (known is null)
                throw Invalid($"'{name}' is not a retention rule; a policy holds {string.Join(", ", RetentionRules.Names)}.", name);
            object? v = entryValue is PSObject p ? p.BaseObject : entryValue;
            if (v is null) continue;
            switch (known)
            {
                case nameof(RetentionRules.KeepLast): keepLast = Count(known, v); break;
                case nameof(RetentionRules.KeepHourly): keepHourly = Count(known, v); break;
                case nameof(RetentionRules.KeepDaily): keepDaily = Count(known, v); break;
                case nameof(RetentionRules.KeepWeekly): keepWeekly = Count(known, v); break;
                case nameof(RetentionRules.KeepMonthly): keepMonthly = Count(known, v); break;
                case nameof(RetentionRules.KeepYearly): keepYearly = Count(known, v); break;
                case nameof(RetentionRules.KeepWithin):
                    string text = v is TimeSpan span ? span.ToString("c", CultureInfo.InvariantCulture) : LanguagePrimitives.ConvertTo<string>(v) ?? "";
                    keepWithin = RetentionDuration.Parse(text).ToString();   // saved as 30d, whatever form it was given in
                    break;
                case nameof(RetentionRules.Label): label = Labels(entryValue!, v); break;
                case nameof(RetentionRules.GroupByLabel): groupBy = LanguagePrimitives.ConvertTo<string[]>(v); break;
                case nameof(RetentionRules.Utc): utc = LanguagePrimitives.IsTrue(v); break;
            }
        }
        var rules = new RetentionRules
        {
            KeepLast = keepLast, KeepHourly = keepHourly, KeepDaily = keepDaily, KeepWeekly = keepWeekly,
            KeepMonthly = keepMonthly, KeepYearly = keepYearly, KeepWithin = keepWithin,
            Label = label is { Count: > 0 } ? label : null, GroupByLabel = groupBy is { Length: > 0 } ? groupBy : null, Utc = utc,
        };
        rules.ToPolicy();
        return rules;
    }

    private static int Count(string name, object value)
    {
        try
        {
            return LanguagePrimitives.ConvertTo<int>(value);
        }
        catch (PSInvalidCastException)
        {
            throw Invalid($"{name} = '{value}' is not a count: give a whole number of at least 1.", value);
        }
    }

    /// <summary>Labels as a hashtable, or as the PSCustomObject ConvertFrom-Json makes of one.</summary>
    private static Dictionary<string, string>? Labels(object given, object value)
    {
        var table = new Hashtable();
        if (value is IDictionary dictionary)
            foreach (DictionaryEntry e in dictionary) table[e.Key] = e.Value;
        else if (value is PSCustomObject && given is PSObject custom)
            foreach (var p in custom.Properties) table[p.Name] = p.Value;
        else
            throw new LonghornBackupException(ErrorIds.InvalidLabel, ErrorKind.InvalidArgument,
                $"The policy's Label is '{value}', not a hashtable of labels such as @{{ RecurringJob = 'daily' }}.", value);
        return LabelArguments.ToDictionary(table);
    }

    private static LonghornBackupException Invalid(string message, object? target) =>
        new(ErrorIds.InvalidRetention, ErrorKind.InvalidArgument, message, target,
            "Give the rules as Remove-LhBackup takes them, e.g. @{ KeepDaily = 7; KeepWeekly = 4; KeepWithin = '30d'; Label = @{ RecurringJob = 'nightly' } }.");
}
