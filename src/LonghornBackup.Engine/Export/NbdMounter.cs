using System.Diagnostics;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Attaches an export to a kernel NBD device and mounts it read-only, or undoes that. Needs Linux, root, the nbd
/// kernel module and nbd-client; <see cref="FindMissing"/> says which of them is missing, in words.
/// </summary>
public static class NbdMounter
{
    /// <summary>What this machine lacks for kernel NBD mounts; empty when nothing.</summary>
    public static IReadOnlyList<string> FindMissing()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux()) return new[] { "Linux (kernel NBD mounts exist only there; the export itself works on any system)" };
        if (!Store.Shares.ShareSystem.IsRoot()) missing.Add("root (run as root, e.g. with sudo)");
        if (!Directory.Exists("/sys/module/nbd") && !File.Exists("/dev/nbd0"))
            missing.Add("the kernel's NBD driver (load it with 'modprobe nbd'; some kernels, e.g. in containers or WSL, lack it)");
        foreach (var tool in new[] { NbdMountCommands.NbdClient, "mount", "umount" })
            if (Store.Shares.ProcessMountRunner.FindProgram(tool) is null) missing.Add(tool == NbdMountCommands.NbdClient ? "nbd-client (apt-get install nbd-client)" : $"{tool} (util-linux)");
        return missing;
    }

    public static void EnsureAvailable()
    {
        var missing = FindMissing();
        if (missing.Count > 0)
            throw new LonghornBackupException(ErrorIds.NbdNotAvailable, ErrorKind.ResourceUnavailable,
                $"Mounting a backup needs kernel NBD, and this machine lacks: {string.Join("; ", missing)}.", null,
                "The export itself works without kernel NBD: read it with nbdcopy, nbdfuse, qemu-img or qemu-nbd, or mount it on a Linux host with NBD.");
    }

    /// <summary>The first NBD device no client uses (/sys/block/nbdN/pid exists only while one is attached).</summary>
    public static string FindFreeDevice()
    {
        for (int n = 0; File.Exists($"/dev/nbd{n}"); n++)
            if (!File.Exists($"/sys/block/nbd{n}/pid")) return $"/dev/nbd{n}";
        throw new LonghornBackupException(ErrorIds.NbdNotAvailable, ErrorKind.ResourceUnavailable,
            "Every NBD device (/dev/nbd*) is in use.", null, "Dismount a backup, or load the driver with more devices: modprobe nbd nbds_max=32.");
    }

    /// <summary>The NBD device mounted at <paramref name="path"/> (the visible mount there, from the mount table); null when none is.</summary>
    public static string? FindMountedDevice(string path, Store.Shares.MountTable? table = null) =>
        (table ?? Store.Shares.MountTable.Read()).At(Path.GetFullPath(path)) is { } entry && entry.Source.StartsWith("/dev/nbd", StringComparison.Ordinal)
            ? entry.Source
            : null;

    /// <summary>The whole device of a partition node (/dev/nbd0p1 -> /dev/nbd0).</summary>
    public static string WholeDevice(string device)
    {
        int p = device.IndexOf('p', "/dev/nbd".Length);
        return p < 0 ? device : device.Substring(0, p);
    }

    /// <summary>Runs one command; a non-zero exit is MountFailed with the command line and its error output.</summary>
    public static void Run(string command, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(Store.Shares.ProcessMountRunner.FindProgram(command) ?? command)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Arguments = string.Join(" ", args.Select(a => a.Contains(' ') || a.Contains('"') ? "\"" + a.Replace("\"", "\\\"") + "\"" : a));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.InvalidOperation,
                $"'{NbdMountCommands.Show(command, args)}' failed (exit code {process.ExitCode}): {stderr.Result.Trim()}", command);
    }
}
