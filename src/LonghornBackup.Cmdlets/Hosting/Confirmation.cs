using System.Management.Automation;

namespace LonghornBackup.Hosting;

/// <summary>
/// ShouldProcess for the removal cmdlets (ConfirmImpact High): -Force answers the confirmation for the user, so
/// unattended scripts never meet a prompt, while -WhatIf still only reports what would happen.
/// </summary>
internal static class Confirmation
{
    public static bool ShouldRemove(PSCmdlet cmdlet, bool force, string target, string action)
    {
        if (force && !IsWhatIf(cmdlet)) return true;
        return cmdlet.ShouldProcess(target, action);
    }

    private static bool IsWhatIf(PSCmdlet cmdlet)
    {
        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out var bound))
            return bound is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(bound);
        return LanguagePrimitives.IsTrue(cmdlet.SessionState.PSVariable.GetValue("WhatIfPreference"));
    }
}
