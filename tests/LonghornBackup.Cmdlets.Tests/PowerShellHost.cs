using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>
/// A runspace with the LonghornBackup cmdlets imported from the built assembly, with its own target settings folder,
/// cache folder and working folder, so tests never see each other's state or the user's.
/// </summary>
public sealed class PowerShellHost : IDisposable
{
    private readonly Runspace _runspace;

    /// <param name="host">The host the runspace writes to (a <see cref="RecordingHost"/>), or none.</param>
    public PowerShellHost(System.Management.Automation.Host.PSHost? host = null)
    {
        Work = Path.Combine(Path.GetTempPath(), "lh-cmdlet-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Work);
        Target = Path.Combine(Work, "target");
        Directory.CreateDirectory(Target);
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { typeof(LonghornBackup.Backup).Assembly.Location });
        iss.EnvironmentVariables.Add(new SessionStateVariableEntry("LONGHORNBACKUP_CONFIG_DIR", Path.Combine(Work, "config"), ""));
        _runspace = host is null ? RunspaceFactory.CreateRunspace(iss) : RunspaceFactory.CreateRunspace(host, iss);
        _runspace.Open();
        // Environment variables are process-wide: set ours for the engine calls of this test.
        Environment.SetEnvironmentVariable("LONGHORNBACKUP_CONFIG_DIR", Path.Combine(Work, "config"));
        Environment.SetEnvironmentVariable("LONGHORNBACKUP_CACHE_DIR", Path.Combine(Work, "cache"));
        // Never the user's AWS settings: private credential files, no keys from the environment, no metadata lookups.
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINTS", "AWS_CERT", "VIRTUAL_HOSTED_STYLE", "HTTP_PROXY", "HTTPS_PROXY" })
            Environment.SetEnvironmentVariable(name, null);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(Work, "aws-credentials"));
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", Path.Combine(Work, "aws-config"));
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Run($"Set-Location -LiteralPath '{Work}'");
    }

    public string Work { get; }
    public string Target { get; }

    /// <summary>Runs a script; returns output, and the error records written (non-terminating and terminating).</summary>
    public (List<PSObject> Output, List<ErrorRecord> Errors) Run(string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        var errors = new List<ErrorRecord>();
        List<PSObject> output;
        try
        {
            output = ps.Invoke().ToList();
        }
        catch (RuntimeException e) when (e.ErrorRecord is not null)
        {
            output = new List<PSObject>();
            errors.Add(e.ErrorRecord);
        }
        errors.InsertRange(0, ps.Streams.Error);
        return (output, errors);
    }

    /// <summary>
    /// Runs a script and stops it, as Ctrl+C does, once <paramref name="stopWhen"/> completes; returns the warnings it
    /// wrote to its warning stream.
    /// </summary>
    public async Task<List<string>> RunAndStopAsync(string script, Task stopWhen)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        var running = ps.BeginInvoke();
        var first = await Task.WhenAny(stopWhen, Task.Factory.FromAsync(running, _ => { })).ConfigureAwait(false);
        Assert.True(first == stopWhen, "the script ended before the moment to stop it");
        await stopWhen.ConfigureAwait(false);
        ps.Stop();
        try { ps.EndInvoke(running); }
        catch (PipelineStoppedException) { }
        return ps.Streams.Warning.Select(w => w.Message).ToList();
    }

    /// <summary>Runs a script and returns the progress records it wrote, in order.</summary>
    public List<ProgressRecord> RunCollectingProgress(string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        ps.Invoke();
        return ps.Streams.Progress.ToList();
    }

    /// <summary>A sparse image with seeded random 2 MiB blocks at the given indexes.</summary>
    public string NewImage(string name, int sizeMiB, params int[] dataBlocks)
    {
        string path = Path.Combine(Work, name);
        using var fs = new FileStream(path, FileMode.Create);
        fs.SetLength((long)sizeMiB << 20);
        foreach (int i in dataBlocks)
        {
            var data = new byte[2 << 20];
            new Random(i + 17).NextBytes(data);
            fs.Position = (long)i * (2 << 20);
            fs.Write(data);
        }
        return path;
    }

    private readonly List<IDisposable> _owned = new();

    /// <summary>Disposes <paramref name="resource"/> with the host (servers a test case starts).</summary>
    public void OnDispose(IDisposable resource) => _owned.Add(resource);

    public void Dispose()
    {
        foreach (var r in _owned) r.Dispose();
        _runspace.Dispose();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }
}
