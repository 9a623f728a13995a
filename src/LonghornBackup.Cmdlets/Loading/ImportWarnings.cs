#if !NET
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace LonghornBackup.Loading;

/// <summary>
/// Writes a warning while Import-Module runs. OnImport has no cmdlet to write through, so a nested pipeline on the
/// importing runspace (this is its pipeline thread) writes it to the host, unless $WarningPreference silences it.
/// </summary>
internal static class ImportWarnings
{
    public static void Write(string message)
    {
        if (Runspace.DefaultRunspace is null) return;
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddScript("param($m) if ($WarningPreference -notin 'SilentlyContinue', 'Ignore') { $Host.UI.WriteWarningLine($m) }").AddArgument(message);
        try { ps.Invoke(); }
        catch (Exception e) when (e is RuntimeException or PSInvalidOperationException) { /* a host without UI: nothing to warn on */ }
    }
}
#endif
