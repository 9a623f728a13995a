namespace LonghornBackup.Engine.Export;

/// <summary>
/// The command lines that attach an export to the kernel's NBD driver and mount it read-only (nbd-client from the
/// nbd-client package, mount and umount from util-linux), and undo it. Kept apart from running them so they can be
/// checked on machines without kernel NBD.
/// </summary>
public static class NbdMountCommands
{
    public const string NbdClient = "nbd-client";

    /// <summary>nbd-client arguments that connect <paramref name="device"/> read-only to an export.</summary>
    public static IReadOnlyList<string> Connect(ExportEndpoint endpoint, string exportName, string device)
    {
        var args = endpoint.IsUnix
            ? new List<string> { "-unix", endpoint.SocketPath! }
            : new List<string> { endpoint.Address!.ToString(), endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        args.AddRange(new[] { device, "-name", exportName, "-readonly", "-block-size", "4096" });
        return args;
    }

    /// <summary>nbd-client arguments that detach a device.</summary>
    public static IReadOnlyList<string> Disconnect(string device) => new[] { "-d", device };

    /// <summary>mount arguments: always read-only (ro, plus noload for ext3/ext4 so a dirty journal is not replayed).</summary>
    public static IReadOnlyList<string> Mount(string device, string path, string? fileSystemType, IEnumerable<string>? options)
    {
        var all = new List<string> { "ro" };
        if (fileSystemType is "ext3" or "ext4") all.Add("noload");
        all.AddRange((options ?? Array.Empty<string>()).Where(o => o is not ("ro" or "rw")));
        var args = new List<string> { "-o", string.Join(",", all.Distinct()) };
        if (!string.IsNullOrEmpty(fileSystemType)) args.AddRange(new[] { "-t", fileSystemType! });
        args.AddRange(new[] { device, path });
        return args;
    }

    public static IReadOnlyList<string> Unmount(string path) => new[] { path };

    /// <summary>The device node of a partition of an NBD device (/dev/nbd0 + 1 = /dev/nbd0p1).</summary>
    public static string PartitionDevice(string device, int? partition) => partition is int p ? $"{device}p{p}" : device;

    /// <summary>A command line as a shell would show it (for -WhatIf and messages).</summary>
    public static string Show(string command, IEnumerable<string> args) =>
        string.Join(" ", new[] { command }.Concat(args.Select(a => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@".IndexOf(c) >= 0) ? a : $"'{a.Replace("'", "'\\''")}'")));
}
