using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Store;
using LonghornBackup.Engine.Store.Drivers;
using LonghornBackup.Engine.Store.Shares;
using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Tests.Shares;

/// <summary>
/// Mounting as Longhorn does, on a machine whose mount commands are recorded (this kernel has no NFS or CIFS
/// client): which commands run, in which order, with which options; that credentials never reach a command line or
/// a message; that only the module's own mounts are unmounted; and the errors when mounting cannot work.
/// </summary>
public sealed class ShareMounterTests : IDisposable
{
    private readonly FakeShareMachine _machine = new();
    private readonly List<string> _said = new();

    public void Dispose() => _machine.Dispose();

    private StoreOpenOptions Options(Func<string, string?>? environment = null) =>
        new() { Shares = _machine.System, Diagnostics = _said.Add, Environment = environment ?? (_ => null) };

    private Backupstore Open(string url, BackupTargetDefinition? target = null, Func<string, string?>? environment = null) =>
        Backupstore.Open(TargetUrl.Parse(url), target, Options(environment));

    private static string[] Line(MountCommand c) => new[] { c.Program }.Concat(c.Arguments).ToArray();

    [Fact]
    public void An_export_already_mounted_anywhere_is_used_and_nothing_is_run()
    {
        string mountPoint = _machine.Sub("admin-mount");
        _machine.AddMount("nfs", "nas:/srv/backups", mountPoint);
        using var store = Open("nfs://nas:/srv/backups");
        Assert.Equal(mountPoint, store.LocalRoot);
        Assert.Empty(_machine.Commands);
        Assert.Contains(_said, l => l.Contains("by the system", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nfs_steps_down_from_4_2_to_4_0_with_Longhorns_options_at_Longhorns_mount_point()
    {
        _machine.FailuresBeforeSuccess = 2;
        using var store = Open("nfs://nas.example:/srv/backups");
        string mountPoint = _machine.MountRoot + "/nas_example/srv/backups";
        Assert.Equal(mountPoint, store.LocalRoot);
        Assert.Equal(new[]
        {
            new[] { "mount", "-t", "nfs4", "-o", "nfsvers=4.2,actimeo=1,soft,timeo=300,retry=2", "nas.example:/srv/backups", mountPoint },
            new[] { "mount", "-t", "nfs4", "-o", "nfsvers=4.1,actimeo=1,soft,timeo=300,retry=2", "nas.example:/srv/backups", mountPoint },
            new[] { "mount", "-t", "nfs4", "-o", "nfsvers=4.0,actimeo=1,soft,timeo=300,retry=2", "nas.example:/srv/backups", mountPoint },
        }, _machine.Commands.Select(Line));
        // The module recorded the mount as its own: the description says so, and the store works.
        var description = Describe("nfs://nas.example:/srv/backups");
        Assert.Equal(("LonghornBackup", mountPoint), (description.MountedBy, description.MountPoint));
        Assert.Contains("nfsvers=4.0", description.MountOptions, StringComparison.Ordinal);
        await store.Store.WriteAsync("backupstore/x.cfg", new byte[] { 1 }, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(mountPoint, "backupstore", "x.cfg")));
    }

    [Fact]
    public void Nfs_options_from_the_url_replace_the_defaults_and_are_tried_once()
    {
        _machine.FailuresBeforeSuccess = int.MaxValue;
        var e = Assert.Throws<LonghornBackupException>(() => Open("nfs://nas:/srv?nfsOptions=nfsvers=3,soft,port=2049"));
        Assert.Equal(ErrorIds.MountFailed, e.ErrorId);
        Assert.Equal(new[] { "mount", "-t", "nfs4", "-o", "nfsvers=3,soft,port=2049", "nas:/srv", _machine.MountRoot + "/nas/srv" }, Line(Assert.Single(_machine.Commands)));
        Assert.Contains("Protocol not supported", e.Message, StringComparison.Ordinal);
        Assert.Contains("nfs-common", e.RecommendedAction, StringComparison.Ordinal);
        // Nothing is left behind: the mount point folders it created are gone again, and no mount is recorded.
        Assert.False(Directory.Exists(_machine.MountRoot + "/nas"));
        Assert.Equal("NotMounted", Describe("nfs://nas:/srv").MountedBy);
    }

    [Fact]
    public void Cifs_credentials_go_to_mount_cifs_in_its_environment_never_on_the_command_line_or_in_messages()
    {
        var env = new Dictionary<string, string?> { ["CIFS_USERNAME"] = "backup-user", ["CIFS_PASSWORD"] = "s3cr3t,with=comma" };
        _machine.FailuresBeforeSuccess = 1;
        _machine.FailureOutput = "mount error(13): Permission denied for s3cr3t,with=comma";
        var e = Assert.Throws<LonghornBackupException>(() => Open("cifs://files.corp/longhorn/a", environment: n => env.GetValueOrDefault(n)));
        var command = Assert.Single(_machine.Commands);
        Assert.Equal(new[] { "mount", "-t", "cifs", "-o", "soft", "//files.corp/longhorn/a", _machine.MountRoot + "/files_corp/longhorn/a" }, Line(command));
        Assert.Equal("backup-user", command.SecretEnvironment["USER"]);
        Assert.Equal("s3cr3t,with=comma", command.SecretEnvironment["PASSWD"]);
        Assert.DoesNotContain("s3cr3t", command.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", e.Message + e.RecommendedAction, StringComparison.Ordinal);
        Assert.DoesNotContain(_said, l => l.Contains("s3cr3t", StringComparison.Ordinal));
        Assert.Contains("***", e.Message, StringComparison.Ordinal);

        // Options from the URL replace "soft"; the mount then succeeds.
        using var store = Open("cifs://files.corp/longhorn/a?cifsOptions=vers=3.0,domain=CORP", environment: n => env.GetValueOrDefault(n));
        Assert.Equal(new[] { "-t", "cifs", "-o", "vers=3.0,domain=CORP" }, _machine.Commands[^1].Arguments.Take(4));
        Assert.Contains("CIFS_USERNAME", Describe("cifs://files.corp/longhorn/a?cifsOptions=vers=3.0,domain=CORP", n => env.GetValueOrDefault(n)).KeySource, StringComparison.Ordinal);
    }

    [Fact]
    public void Half_a_cifs_credential_pair_is_refused_before_anything_runs()
    {
        var e = Assert.Throws<LonghornBackupException>(() => Open("cifs://srv/share", environment: n => n == "CIFS_USERNAME" ? "bob" : null));
        Assert.Equal(ErrorIds.CredentialsNotFound, e.ErrorId);
        Assert.Contains("CIFS_PASSWORD", e.Message, StringComparison.Ordinal);
        Assert.Empty(_machine.Commands);
    }

    [Fact]
    public void Without_root_the_error_names_the_mount_command_that_would_work()
    {
        using var machine = new FakeShareMachine(canMount: false);
        var e = Assert.Throws<LonghornBackupException>(() =>
            Backupstore.Open(TargetUrl.Parse("nfs://nas:/srv/backups"), null, new StoreOpenOptions { Shares = machine.System }));
        Assert.Equal(ErrorIds.BackupTargetNotMounted, e.ErrorId);
        Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
        Assert.Contains($"mkdir -p {machine.MountRoot}/nas/srv/backups && mount -t nfs4 -o nfsvers=4.2,actimeo=1,soft,timeo=300,retry=2 nas:/srv/backups {machine.MountRoot}/nas/srv/backups", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(machine.Commands);
    }

    [Fact]
    public void Something_else_on_the_mount_point_is_not_unmounted_and_is_reported()
    {
        string mountPoint = _machine.MountRoot + "/nas/srv";
        Directory.CreateDirectory(mountPoint);
        _machine.AddMount("tmpfs", "tmpfs", mountPoint);
        var e = Assert.Throws<LonghornBackupException>(() => Open("nfs://nas:/srv"));
        Assert.Equal(ErrorIds.MountFailed, e.ErrorId);
        Assert.Contains("tmpfs", e.Message, StringComparison.Ordinal);
        Assert.Empty(_machine.Commands);
    }

    [Fact]
    public void Dismount_unmounts_only_the_modules_own_mounts()
    {
        var url = TargetUrl.Parse("nfs://nas:/srv");
        var target = new BackupTargetDefinition("t", url.Canonical, DateTimeOffset.UtcNow);
        Open(url.Canonical).Dispose();
        string mountPoint = _machine.MountRoot + "/nas/srv";
        Assert.Equal(new DismountResult(DismountOutcome.Unmounted, $"Unmounted nas:/srv from {mountPoint}."), url.Driver.Dismount(url, target, Options()));
        Assert.Equal(new[] { "umount", mountPoint }, Line(_machine.Commands[^1]));
        Assert.False(Directory.Exists(mountPoint));
        Assert.Equal("NotMounted", Describe(url.Canonical).MountedBy);

        // Mounted by an administrator: left alone, and said so.
        string adminMount = _machine.Sub("admin");
        _machine.AddMount("nfs4", "nas:/srv", adminMount);
        int commands = _machine.Commands.Count;
        var said = url.Driver.Dismount(url, target, Options());
        Assert.Equal(DismountOutcome.LeftMounted, said.Outcome);
        Assert.Contains("did not mount it", said.Message, StringComparison.Ordinal);
        Assert.Equal(commands, _machine.Commands.Count);
        Assert.Equal("System", Describe(url.Canonical).MountedBy);
    }

    [Fact]
    public void A_record_of_an_earlier_mount_does_not_make_a_new_mount_at_the_same_point_the_modules()
    {
        Open("nfs://nas:/srv").Dispose();
        string mountPoint = _machine.MountRoot + "/nas/srv";
        // Someone unmounts it behind the module's back and mounts the export there again (a new mount id).
        _machine.Run(new MountCommand("umount", new[] { mountPoint }), TimeSpan.FromSeconds(1));
        _machine.AddMount("nfs4", "nas:/srv", mountPoint);
        Assert.Equal("System", Describe("nfs://nas:/srv").MountedBy);
    }

    private Store.Drivers.TargetDescription Describe(string url, Func<string, string?>? environment = null)
    {
        var parsed = TargetUrl.Parse(url);
        return parsed.Driver.Describe(parsed, new BackupTargetDefinition("t", parsed.Canonical, DateTimeOffset.UtcNow), Options(environment));
    }
}
