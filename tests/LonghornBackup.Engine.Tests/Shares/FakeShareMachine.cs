using LonghornBackup.Engine.Store.Shares;

namespace LonghornBackup.Engine.Tests.Shares;

/// <summary>
/// A machine for the share drivers without a kernel NFS or CIFS client: a mount table kept as mountinfo text (what
/// /proc/self/mountinfo would say), and a mount runner that records each command and, when told to succeed, adds
/// the mount to that table as the kernel would. Mount points live under a temporary root, not /var/lib.
/// </summary>
internal sealed class FakeShareMachine : IMountRunner, IDisposable
{
    private readonly TempDir _dir = new("lhb-shares");
    private readonly List<string> _lines = new() { "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw" };
    private int _nextId = 100;

    public FakeShareMachine(bool canMount = true)
    {
        MountRoot = _dir.Sub("longhorn-backupstore-mounts");
        System = new ShareSystem(() => MountTable.Parse(MountInfo), this, new MountRecords(Path.Combine(_dir.Path, "config", "mounts.json")),
            MountRoot, canMount, isWindows: false) { AttemptTimeout = TimeSpan.FromSeconds(5) };
    }

    public ShareSystem System { get; }
    public string MountRoot { get; }
    public string MountInfo => string.Join("\n", _lines) + "\n";
    public List<MountCommand> Commands { get; } = new();

    /// <summary>How many of the next mount commands fail (with this output) before one succeeds; int.MaxValue: all fail.</summary>
    public int FailuresBeforeSuccess { get; set; }
    public string FailureOutput { get; set; } = "mount.nfs4: Protocol not supported";

    public string Sub(string name) => _dir.Sub(name);

    /// <summary>Adds a mount as an administrator would have made it, e.g. ("nfs4", "nas:/export", folder).</summary>
    /// <param name="options">The super block options the kernel shows after the source (where NFS shows vers=, timeo=...).</param>
    public int AddMount(string fileSystemType, string source, string mountPoint, string root = "/", string options = "rw,vers=4.2")
    {
        int id = _nextId++;
        _lines.Add($"{id} 22 0:{id} {Escape(root)} {Escape(mountPoint)} rw,relatime shared:{id} - {fileSystemType} {Escape(source)} {options}");
        return id;
    }

    public MountCommandResult Run(MountCommand command, TimeSpan timeout)
    {
        Commands.Add(command);
        var args = command.Arguments;
        if (command.Program == "umount")
        {
            _lines.RemoveAll(l => l.Split(' ')[4] == Escape(args[0]));
            return new MountCommandResult(0, "", false);
        }
        if (FailuresBeforeSuccess > 0)
        {
            if (FailuresBeforeSuccess != int.MaxValue) FailuresBeforeSuccess--;
            return new MountCommandResult(32, FailureOutput, false);
        }
        // mount -t TYPE -o OPTIONS SOURCE MOUNTPOINT
        AddMount(args[1], args[4], args[5], options: "rw," + args[3]);
        return new MountCommandResult(0, "", false);
    }

    private static string Escape(string s) => s.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011");

    public void Dispose() => _dir.Dispose();
}
