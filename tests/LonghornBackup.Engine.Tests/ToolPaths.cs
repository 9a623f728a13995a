using System.Diagnostics;

namespace LonghornBackup.Engine.Tests;

/// <summary>The repository's test tools (tools/s3rver, tools/azurite): where they are, and `npm ci` to install one.</summary>
internal static class ToolPaths
{
    public static void RunNpmCi(string toolDir)
    {
        var npm = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm") { WorkingDirectory = toolDir, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" }) npm.ArgumentList.Add(arg);
        using var p = Process.Start(npm)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"npm ci in {toolDir} failed ({p.ExitCode}): {output.Result}{error.Result}");
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "s3rver", "launch.js"))) return dir.FullName;
        throw new DirectoryNotFoundException("tools/s3rver/launch.js was not found above the test binaries.");
    }
}
