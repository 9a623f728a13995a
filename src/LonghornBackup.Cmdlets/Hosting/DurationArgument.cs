using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace LonghornBackup.Hosting;

/// <summary>
/// Lets a TimeSpan parameter take a length of time written with units, "36h", "2d", "1d12h", "90m", besides a
/// TimeSpan ("1.12:00:00", New-TimeSpan). A bare number is refused: PowerShell would take it as ticks, and a user
/// may have meant hours or days.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class DurationArgumentAttribute : ArgumentTransformationAttribute
{
    private static readonly Regex Units = new(@"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is TimeSpan span && span >= TimeSpan.Zero) return span;
        // PowerShell reads an unquoted 2d or 5s as a number (2d is the decimal 2, 5s the short 5); the wrapper it
        // hands over still says what was typed.
        string? text = value as string ?? (inputData is PSObject typed && value is decimal or short or int or long ? typed.ToString() : null);
        if (text is not null && Parse(text) is TimeSpan parsed) return parsed;
        throw new ArgumentTransformationMetadataException(
            $"'{value}' is not a length of time: write it with units, as 36h, 2d, 1d12h or 90m, or give a TimeSpan (New-TimeSpan -Hours 36). A number alone has no unit.");
    }

    /// <summary>Days, hours and minutes ("1d12h"), or a TimeSpan's text ("1.12:00:00"); null for anything else.</summary>
    internal static TimeSpan? Parse(string text)
    {
        var m = Units.Match(text);
        if (m.Success && (m.Groups[1].Success || m.Groups[2].Success || m.Groups[3].Success))
        {
            double Part(int i) => m.Groups[i].Success ? double.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            return TimeSpan.FromDays(Part(1)) + TimeSpan.FromHours(Part(2)) + TimeSpan.FromMinutes(Part(3));
        }
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }
}
