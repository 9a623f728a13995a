using System.Management.Automation;
using System.Management.Automation.Host;
using System.Reflection;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Hosting;

/// <summary>
/// ShouldProcess for the removal cmdlets (ConfirmImpact High): -Force answers the confirmation for the user, so
/// unattended scripts never meet a prompt, while -WhatIf still only reports what would happen.
/// </summary>
/// <remarks>
/// When PowerShell would ask but cannot (pwsh -NonInteractive; standard input redirected and at its end, as under
/// cron or with &lt; /dev/null; a host without a user interface), the command fails with ConfirmationRequired, whose
/// message names -Force, before anything is asked or removed. PowerShell's own failures there say nothing useful:
/// "PowerShell is in NonInteractive mode", or the prompt printed and then a NullReferenceException.
/// </remarks>
internal static class Confirmation
{
    /// <summary>How long to look for an answer on redirected standard input before asking anyway (an open pipe).</summary>
    private static readonly TimeSpan StdinPeekWait = TimeSpan.FromSeconds(1);

    public static bool ShouldRemove(LhCmdlet cmdlet, bool force, string target, string action)
    {
        if (force && !IsWhatIf(cmdlet)) return true;
        bool wouldAsk = WouldAsk(cmdlet);
        if (wouldAsk && !cmdlet.ConfirmationAnswered)
        {
            string? reason = WhyHostCannotAsk(cmdlet);
            if (reason is not null) Refuse(cmdlet, target, reason, null);
        }
        try
        {
            bool yes = cmdlet.ShouldProcess(target, action);
            if (wouldAsk) cmdlet.ConfirmationAnswered = true;
            return yes;
        }
        catch (Exception e) when (HostCannotAsk(e) is { } reason)
        {
            Refuse(cmdlet, target, reason, e);
            throw;   // not reached: Refuse throws
        }
    }

    internal static bool IsWhatIf(PSCmdlet cmdlet)
    {
        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out var bound))
            return bound is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(bound);
        return LanguagePrimitives.IsTrue(cmdlet.SessionState.PSVariable.GetValue("WhatIfPreference"));
    }

    /// <summary>
    /// Whether ShouldProcess is going to ask, by PowerShell's rules: never under -WhatIf; with -Confirm (or not with
    /// -Confirm:$false); otherwise when the cmdlet's ConfirmImpact reaches $ConfirmPreference (High by default).
    /// </summary>
    internal static bool WouldAsk(PSCmdlet cmdlet)
    {
        if (IsWhatIf(cmdlet)) return false;
        if (cmdlet.MyInvocation.BoundParameters.TryGetValue("Confirm", out var confirm))
            return confirm is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(confirm);
        var impact = cmdlet.GetType().GetCustomAttribute<CmdletAttribute>()?.ConfirmImpact ?? ConfirmImpact.Medium;
        var preference = ConfirmImpact.High;
        var value = cmdlet.SessionState.PSVariable.GetValue("ConfirmPreference");
        if (value is not null && LanguagePrimitives.TryConvertTo(value, out ConfirmImpact p)) preference = p;
        return preference != ConfirmImpact.None && impact >= preference;
    }

    /// <summary>
    /// Why the console host cannot ask, known before asking: it runs with -NonInteractive, or it reads answers from
    /// redirected standard input that is at its end. Null when it can (or when only trying will tell).
    /// </summary>
    private static string? WhyHostCannotAsk(PSCmdlet cmdlet)
    {
        // Only PowerShell's console host reads prompts from the console, or from standard input when that is
        // redirected; other hosts (editors, remoting, jobs) ask their own way, and a failure there is caught below.
        if (!string.Equals(cmdlet.Host?.Name, "ConsoleHost", StringComparison.Ordinal)) return null;
        if (IsNonInteractiveSession(Environment.GetCommandLineArgs())) return NonInteractiveReason;
#if NET
        // pwsh reads a prompt's answer from Console.In when input is redirected; Windows PowerShell reads the console.
        if (Console.IsInputRedirected && StandardInputAtEnd()) return StdinAtEndReason;
#endif
        return null;
    }

    private const string NonInteractiveReason = "PowerShell runs with -NonInteractive and cannot ask";
    private const string StdinAtEndReason = "standard input is redirected and at its end, so no answer can be read";

    /// <summary>
    /// Whether pwsh's (or powershell.exe's) own command line holds -NonInteractive (any accepted abbreviation down to
    /// -noni, with -, -- or /), read as PowerShell reads it: up to -File, -Command, -EncodedCommand, -CommandWithArgs or
    /// a script path, after which arguments belong to the script.
    /// </summary>
    internal static bool IsNonInteractiveSession(string[] commandLine)
    {
        for (int i = 1; i < commandLine.Length; i++)
        {
            string arg = commandLine[i].Trim();
            if (arg.Length == 0) continue;
            char first = arg[0];
            bool dash = first is '-' or '\u2013' or '\u2014' or '\u2015';
            if (!dash && first != '/') return false;   // a script file: the rest are its arguments
            string key = arg.Substring(1);
            if (dash && key.Length > 0 && key[0] == first) key = key.Substring(1);
            if (Matches(key, "noninteractive", "noni")) return true;
            if (Matches(key, "file", "f") || Matches(key, "command", "c") || Matches(key, "encodedcommand", "e") ||
                Matches(key, "ec", "e") || Matches(key, "commandwithargs", "commandwithargs") || Matches(key, "cwa", "cwa"))
                return false;
        }
        return false;

        static bool Matches(string key, string name, string shortest) =>
            key.Length >= shortest.Length && name.StartsWith(key, StringComparison.OrdinalIgnoreCase);
    }

#if NET
    /// <summary>
    /// Peeks at Console.In, the reader pwsh reads answers from (nothing is consumed). A peek that is still waiting
    /// (an open pipe with nothing in it yet) means "not at its end": the prompt is shown and waits as before.
    /// </summary>
    private static bool StandardInputAtEnd()
    {
        // Standard input from /dev/null (cron, systemd, `< /dev/null`) is at its end by definition: said without a
        // peek, whose thread a loaded machine may not start within the wait (the test suite saw prompts so).
        if (StandardInputIsDevNull()) return true;
        try
        {
            var peek = Task.Factory.StartNew(() => Console.In.Peek(), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
            return peek.Wait(StdinPeekWait) && peek.Result == -1;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or AggregateException)
        {
            return false;
        }
    }

    /// <summary>True when file descriptor 0 is /dev/null (Linux: /proc/self/fd/0 links to it).</summary>
    private static bool StandardInputIsDevNull()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return new FileInfo("/proc/self/fd/0").LinkTarget == "/dev/null";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
#endif

    /// <summary>
    /// Why a failure thrown by ShouldProcess means the host cannot ask: the host's user interface threw it while
    /// prompting (NonInteractive, standard input ended, no user interface). Null for every other failure, such as
    /// Ctrl+C at the prompt (PromptingException) or the pipeline stopping.
    /// </summary>
    private static string? HostCannotAsk(Exception e)
    {
        if (e is PromptingException or PipelineStoppedException) return null;
        if (e is not (HostException or PSInvalidOperationException or NullReferenceException or NotImplementedException)) return null;
        var thrower = e.TargetSite?.DeclaringType;
        if (thrower is null || !typeof(PSHostUserInterface).IsAssignableFrom(thrower)) return null;
        return e switch
        {
            NullReferenceException => StdinAtEndReason,
            PSInvalidOperationException when e.TargetSite!.Name.Contains("ThrowOnReadAndPrompt") => NonInteractiveReason,
            HostException => "this PowerShell host has no user interface to ask with",
            _ => $"this PowerShell host failed to ask ({e.GetType().Name})",
        };
    }

    private static void Refuse(LhCmdlet cmdlet, string target, string reason, Exception? inner)
    {
        string command = cmdlet.MyInvocation.MyCommand?.Name ?? "The command";
        cmdlet.ThrowEngineError(new LonghornBackupException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidOperation,
            $"{command} needs confirmation to remove {target}, but {reason}: it was not removed. " +
            "Add -Force (or -Confirm:$false) to remove without confirmation, as scripts and scheduled tasks must; " +
            "-WhatIf shows what would be removed.",
            target,
            $"Run {command} with -Force (or -Confirm:$false) when no one can answer a prompt; -WhatIf lists what it would remove.",
            inner));
    }
}
