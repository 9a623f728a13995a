using System.Globalization;
using System.Management.Automation;

namespace LonghornBackup.Hosting;

/// <summary>
/// ValidateRange that lets null through: a nullable parameter bound by property name from a piped object (a target from
/// Get-LhBackupTarget without a bandwidth limit) gets null, which means "not given"; ValidateRange would refuse it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateRangeOrNullAttribute : ValidateArgumentsAttribute
{
    private readonly long _min, _max;

    public ValidateRangeOrNullAttribute(long min, long max)
    {
        _min = min;
        _max = max;
    }

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object? value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is null) return;
        long number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        if (number < _min || number > _max)
            throw new ValidationMetadataException(string.Format(CultureInfo.InvariantCulture,
                "The argument {0} is outside the range {1} to {2}: give a number from {1} to {2}.", number, _min, _max));
    }
}
