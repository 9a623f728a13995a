using System.Diagnostics;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// One command line to run (mount or umount). Secrets never go in <see cref="Arguments"/>, which are logged and
/// visible in the process list; they travel in <see cref="SecretEnvironment"/>, which only the child process sees.
/// </summary>
public sealed record MountCommand(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables set for the child only (mount.cifs reads USER and PASSWD); never shown.</summary>
    public IReadOnlyDictionary<string, string> SecretEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The command as a shell would take it, for messages and -Verbose: no secret is in it.</summary>
    public override string ToString() =>
        string.Join(' ', new[] { Program }.Concat(Arguments).Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=,@%+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'"));
}

/// <summary>What a command did.</summary>
public sealed record MountCommandResult(int ExitCode, string Output, bool TimedOut);

/// <summary>Runs mount commands; tests record them instead.</summary>
public interface IMountRunner
{
    MountCommandResult Run(MountCommand command, TimeSpan timeout);
}

/// <summary>Runs a command as a child process (no shell), with its own environment additions and a time limit.</summary>
public sealed class ProcessMountRunner : IMountRunner
{
    public static ProcessMountRunner Instance { get; } = new();

    public MountCommandResult Run(MountCommand command, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(FindProgram(command.Program) ?? command.Program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,   // nothing to read: a helper that would prompt gets end of file instead
            UseShellExecute = false,
        };
#if NET
        foreach (var a in command.Arguments) start.ArgumentList.Add(a);
#else
        start.Arguments = string.Join(" ", command.Arguments.Select(a => "\"" + a.Replace("\"", "\\\"") + "\""));
#endif
        foreach (var pair in command.SecretEnvironment) start.Environment[pair.Key] = pair.Value;
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new MountCommandResult(127, $"{command.Program} cannot be started: {e.Message}", false);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)Math.Min(int.MaxValue, timeout.TotalMilliseconds)))
            {
#if NET
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
#else
                try { process.Kill(); } catch (InvalidOperationException) { }
#endif
                process.WaitForExit();
                return new MountCommandResult(-1, (stderr.Result + stdout.Result).Trim(), true);
            }
            return new MountCommandResult(process.ExitCode, (stderr.Result + stdout.Result).Trim(), false);
        }
    }

    /// <summary>mount and umount live in /usr/bin or /bin, helpers in /sbin; PATH of a scheduled task may lack some.</summary>
    internal static string? FindProgram(string program)
    {
        if (program.Contains('/')) return program;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Concat(new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" });
        return dirs.Where(d => d.Length > 0).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }
}
