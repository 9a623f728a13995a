using System.Diagnostics;
using LonghornBackup.Engine.Backup;
using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Blocks.Replica;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Which copies of a replica directory keep its snapshots (README, "Backing up Longhorn replica directories"). A layer's
/// allocated zero ranges hide the layers below it and its holes show them, so only a copy that keeps every layer's
/// allocation exactly keeps the snapshots. Each copy README names is made with the real tool from a chain whose
/// middle layer holds allocated zeros over its parent's data; the copy is backed up and its block map compared with
/// the original's. Linux only (the tools and SEEK_HOLE); rsync comes from tools/Install-NbdClients.ps1.
/// </summary>
public class ReplicaCopyTests
{
    private const long B = TestImages.Block;

    /// <summary>README's copy commands: {src} the replica folder's parent, {name} its name, {dest} an empty folder, {tar} an archive path.</summary>
    public static TheoryData<string, string, bool> Copies => new()
    {
        { "tar -S", "tar -cSf {tar} -C {src} {name} && tar -xf {tar} -C {dest}", true },
        { "cp -a", "cp -a {src}/{name} {dest}/", false },
        { "cp --sparse=auto", "cp -r --sparse=auto {src}/{name} {dest}/", false },
        { "cp --sparse=always", "cp -r --sparse=always {src}/{name} {dest}/", false },
        { "cp --sparse=never", "cp -r --sparse=never {src}/{name} {dest}/", false },
        { "rsync -S", "rsync -aS {src}/{name} {dest}/", false },
        { "rsync -a", "rsync -a {src}/{name} {dest}/", false },
        { "tar (without -S)", "tar -cf {tar} -C {src} {name} && tar -xf {tar} -C {dest}", false },
    };

    [Theory]
    [MemberData(nameof(Copies))]
    public async Task A_copy_keeps_the_snapshots_only_if_it_keeps_every_layers_allocation(string copy, string command, bool keeps)
    {
        if (!OperatingSystem.IsLinux()) return;
        using var t = new TestStore();
        string source = Directory.CreateDirectory(t.WorkFile("replicas")).FullName;
        var original = ReplicaChainTests.FiveLayers(source);
        string name = Path.GetFileName(original.Path);
        // The chain this is about: snapshot b allocates zeros over snapshot a's data in block 3 (and half of block 2).
        using (var b = File.OpenHandle(Path.Combine(original.Path, ReplicaBuilder.Snap("b"))))
            Assert.Contains(FileExtents.Read(b, 16 * TestImages.MiB), r => r.Start <= 3 * B && r.Start + r.Length >= 4 * B);

        string dest = Directory.CreateDirectory(t.WorkFile("copy")).FullName;
        Run(copy, command.Replace("{src}", source).Replace("{name}", name).Replace("{dest}", dest).Replace("{tar}", t.WorkFile("replica.tar")));

        var fromOriginal = await BackupAsync(t, "original", original.Path);
        var fromCopy = await BackupAsync(t, "copy", Path.Combine(dest, name));
        var map = (BackupResult r) => r.Backup.Blocks.Select(b => $"{b.Offset}:{b.BlockChecksum}").ToList();
        if (keeps)
        {
            Assert.Equal(map(fromOriginal), map(fromCopy));
            string expected = original.ExpectedImage("d", t.WorkFile("expected.img"));
            string restored = await t.RestoreToNewFileAsync("copy", fromCopy.Backup.Name);
            Assert.Equal(TestImages.Sha256(expected), TestImages.Sha256(restored));
        }
        else
        {
            Assert.NotEqual(map(fromOriginal), map(fromCopy));
        }
    }

    private static async Task<BackupResult> BackupAsync(TestStore t, string volume, string replica) =>
        await TestStore.RunBackupAsync(t.Store, new BackupRequest
        {
            VolumeName = volume, SnapshotName = "d", Source = ReplicaChainSource.Open(ReplicaDirectory.Open(replica), "d"),
            UseChangeCache = false,
        });

    private static void Run(string copy, string command)
    {
        string tool = copy.Split(' ')[0];
        if (!File.Exists($"/usr/bin/{tool}") && !File.Exists($"/bin/{tool}"))
            throw new InvalidOperationException($"{tool} is missing: run tools/Install-NbdClients.ps1 (build.ps1 -Task Test does).");
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command} failed ({p.ExitCode}): {output.Result}{error.Result}");
    }
}
