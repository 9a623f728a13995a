using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store.Drivers;

namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// Finds an nfs:// or cifs:// target's export in the mount table, or mounts it the way Longhorn does
/// (docs/target-drivers.md §4, §5), so the folder driver can do the rest; and unmounts only what it mounted itself.
/// </summary>
public static class ShareMounter
{
    /// <summary>File system types that carry each protocol in the mount table.</summary>
    public static IReadOnlyCollection<string> FileSystemTypes(ShareProtocol protocol) =>
        protocol == ShareProtocol.Nfs ? new[] { "nfs", "nfs4" } : new[] { "cifs", "smb3" };

    /// <summary>Where the share is now (found by its source anywhere in the mount table), changing nothing.</summary>
    public static ShareState Inspect(ShareLocation location, ShareSystem system)
    {
        string longhornMountPoint = location.MountPoint(system.MountRoot);
        if (system.IsWindows && location.Protocol == ShareProtocol.Cifs)
        {
            string unc = @"\\" + location.Source.Host + location.Source.Path.Replace('/', '\\');
            return new ShareState(unc, unc, ShareMountOwner.UncPath, null, null);
        }
        var table = system.ReadTable();
        if (table.FindSource(location.Source, FileSystemTypes(location.Protocol)) is not { } found)
            return new ShareState(null, longhornMountPoint, ShareMountOwner.NotMounted, null, null);
        var owner = system.Records.IsOwn(found.Entry) ? ShareMountOwner.LonghornBackup : ShareMountOwner.System;
        return new ShareState(found.Folder, found.Entry.MountPoint, owner, found.Entry.Options, found.Entry.FileSystemType);
    }

    /// <summary>
    /// The folder of the share: where it is mounted already, else (Linux, root) mounted now at Longhorn's mount
    /// point, else a clear error that says which command would mount it.
    /// </summary>
    public static string Attach(ShareLocation location, ShareCredentials? credentials, ShareSystem system, Action<string> report)
    {
        var state = Inspect(location, system);
        if (state.Folder is { } folder)
        {
            report(state.MountedBy == ShareMountOwner.UncPath
                ? $"{location.Source} is reached by its UNC path {folder}."
                : $"{location.Source} is mounted at {state.MountPoint} ({state.FileSystemType}, by {Who(state.MountedBy)}); using {folder}.");
            return folder;
        }
        var attempts = Attempts(location, credentials, state.MountPoint);
        if (!system.CanMount)
            throw new LonghornBackupException(ErrorIds.BackupTargetNotMounted, ErrorKind.ResourceUnavailable,
                $"The {Name(location)} {location.Source} is not mounted, and this process cannot mount it ({(system.IsWindows ? "on Windows, mount NFS exports with the Client for NFS" : OperatingSystem.IsLinux() ? "mounting needs root" : "mounting is done on Linux only")}).",
                location.Canonical,
                $"Mount it as root, then try again (the module finds it by its source in the mount table): mkdir -p {Quote(state.MountPoint)} && {attempts[0]}{CredentialHint(location)}");

        var occupant = system.ReadTable().At(state.MountPoint);
        if (occupant is not null)
            throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.ResourceUnavailable,
                $"Longhorn's mount point {state.MountPoint} for {location.Source} already has {occupant.Source} ({occupant.FileSystemType}) mounted on it; the module does not unmount what it did not mount.",
                location.Canonical, $"Unmount it (umount {Quote(state.MountPoint)}) if it is stale, then try again.");

        var created = CreateFolders(state.MountPoint);
        var failures = new List<string>();
        foreach (var attempt in attempts)
        {
            report($"Mounting {location.Source}: {attempt}");
            var result = system.Runner.Run(attempt, system.AttemptTimeout);
            if (result.ExitCode == 0 && !result.TimedOut && system.ReadTable().At(state.MountPoint) is { } entry)
            {
                system.Records.Add(new MountRecord(entry.MountPoint, entry.Source, entry.Id, DateTimeOffset.UtcNow));
                report($"Mounted {location.Source} at {state.MountPoint} ({Options(attempt)}); LonghornBackup unmounts it on Remove-LhBackupTarget or Dismount-LhBackupTarget.");
                return state.MountPoint;
            }
            failures.Add($"'{attempt}' {(result.TimedOut ? $"did not finish within {system.AttemptTimeout.TotalSeconds:0} s" : result.ExitCode == 0 ? "returned but the mount table does not show the mount" : $"failed (exit code {result.ExitCode})")}{(result.Output.Length == 0 ? "" : ": " + Redact(result.Output, credentials))}");
        }
        RemoveFolders(created);
        throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.ResourceUnavailable,
            $"The {Name(location)} {location.Source} could not be mounted at {state.MountPoint}. {string.Join(" ", failures)}",
            location.Canonical,
            $"Check that this machine has the {(location.Protocol == ShareProtocol.Nfs ? "NFS client (mount.nfs4, package nfs-common)" : "CIFS client (mount.cifs, package cifs-utils)")} and that the server exports the path to it; or mount it yourself and try again.");
    }

    /// <summary>Unmounts the share if, and only if, this module mounted it; says what it did.</summary>
    public static DismountResult Detach(ShareLocation location, ShareSystem system)
    {
        var state = Inspect(location, system);
        switch (state.MountedBy)
        {
            case ShareMountOwner.NotMounted:
            case ShareMountOwner.UncPath:
                return new(DismountOutcome.NotMounted, $"{location.Source} is not mounted; nothing to unmount.");
            case ShareMountOwner.System:
                return new(DismountOutcome.LeftMounted, $"{location.Source} stays mounted at {state.MountPoint}: LonghornBackup did not mount it.");
        }
        var command = new MountCommand("umount", new[] { state.MountPoint });
        var result = system.Runner.Run(command, system.AttemptTimeout);
        if (result.ExitCode != 0 || result.TimedOut)
            throw new LonghornBackupException(ErrorIds.MountFailed, ErrorKind.InvalidOperation,
                $"'{command}' failed{(result.TimedOut ? " to finish in time" : $" (exit code {result.ExitCode})")}: {result.Output}", location.Canonical,
                "Close what uses the share (a shell in it, a running backup), then try again.");
        system.Records.Remove(state.MountPoint);
        RemoveFolders(new[] { state.MountPoint });
        return new(DismountOutcome.Unmounted, $"Unmounted {location.Source} from {state.MountPoint}.");
    }

    /// <summary>
    /// The mount commands, in the order Longhorn tries them: the URL's options once, or NFS 4.2, 4.1, 4.0 with
    /// Longhorn's defaults; CIFS with "soft" unless the URL gives options. CIFS credentials go to mount.cifs in its
    /// USER and PASSWD variables, never on the command line.
    /// </summary>
    public static IReadOnlyList<MountCommand> Attempts(ShareLocation location, ShareCredentials? credentials, string mountPoint)
    {
        MountCommand Mount(string type, IEnumerable<string> options) =>
            new("mount", new[] { "-t", type, "-o", string.Join(',', options), location.Source.Text, mountPoint });
        if (location.Protocol == ShareProtocol.Nfs)
        {
            if (location.Options.Count > 0) return new[] { Mount("nfs4", location.Options) };
            return new[] { "4.2", "4.1", "4.0" }.Select(v => Mount("nfs4", new[] { $"nfsvers={v}", "actimeo=1", "soft", "timeo=300", "retry=2" })).ToList();
        }
        // Longhorn always passes a user name and password (empty when none is set); an empty PASSWD also keeps
        // mount.cifs from prompting for one.
        var environment = new Dictionary<string, string> { ["USER"] = credentials?.UserName ?? "", ["PASSWD"] = credentials?.Password ?? "" };
        return new[] { Mount("cifs", location.Options.Count > 0 ? location.Options : new[] { "soft" }) with { SecretEnvironment = environment } };
    }

    private static string Options(MountCommand command) => command.Arguments[3];

    private static string Name(ShareLocation location) => location.Protocol == ShareProtocol.Nfs ? "NFS export" : "CIFS share";

    private static string Who(ShareMountOwner owner) => owner == ShareMountOwner.LonghornBackup ? "LonghornBackup" : "the system";

    private static string CredentialHint(ShareLocation location) =>
        location.Protocol == ShareProtocol.Cifs ? " (with USER and PASSWD set in the environment for the credentials)" : "";

    private static string Quote(string path) => path.All(c => char.IsLetterOrDigit(c) || "-_./".Contains(c)) ? path : "'" + path.Replace("'", "'\\''") + "'";

    /// <summary>A helper's message never repeats a password, even if it echoed one.</summary>
    private static string Redact(string output, ShareCredentials? credentials) =>
        credentials?.Password is { Length: > 0 } password ? output.Replace(password, "***") : output;

    /// <summary>Creates the mount point's missing folders (owner-only, as Longhorn does) and returns them, deepest last.</summary>
    private static List<string> CreateFolders(string mountPoint)
    {
        var missing = new List<string>();
        for (string? dir = mountPoint; dir is not null && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)) missing.Insert(0, dir);
        foreach (var dir in missing)
        {
#if NET
            if (!OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                continue;
            }
#endif
            Directory.CreateDirectory(dir);
        }
        return missing;
    }

    /// <summary>Removes mount point folders again, deepest first, as long as they are empty (never a file).</summary>
    private static void RemoveFolders(IEnumerable<string> folders)
    {
        foreach (var dir in folders.Reverse())
        {
            try { if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
            catch (IOException) { return; }
            catch (UnauthorizedAccessException) { return; }
        }
    }
}
