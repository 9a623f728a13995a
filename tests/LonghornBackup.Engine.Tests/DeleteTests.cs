using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// docs/backupstore-format.md §5.2/§5.3: deleting backups frees exactly the blocks no remaining backup references, keeps every block a
/// remaining backup needs, fixes volume.cfg, and leaves blocks alone whenever the references cannot be trusted.
/// </summary>
public class DeleteTests
{
    private const int B = TestImages.Block;
    private const string V = "vol-d";
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Four backups of one 16 MiB volume, a minute apart:
    /// b1 = A0 A1 A2 A3; b2 = A0 B1 A2 A3 . B5; b3 = C0 B1 A2 A3 (block 5 zeroed); b4 = C0 B1 A2 D3.
    /// So deleting b1 alone frees A1, b2 alone frees B5, b3 alone frees nothing (b4 has C0), b4 alone frees D3.
    /// </summary>
    private sealed class Chain : IDisposable
    {
        public TestStore T { get; } = new();
        public string[] Names { get; } = new string[4];
        public Dictionary<string, string> Shas { get; } = new();
        public Dictionary<string, string> Blocks { get; } = new();

        public static async Task<Chain> CreateAsync(string volume = V)
        {
            var c = new Chain();
            var data = new Dictionary<string, byte[]>
            {
                ["A0"] = TestImages.RandomBytes(10), ["A1"] = TestImages.RandomBytes(11), ["A2"] = TestImages.CompressibleBytes(12),
                ["A3"] = TestImages.RandomBytes(13), ["B1"] = TestImages.RandomBytes(21), ["B5"] = TestImages.RandomBytes(25),
                ["C0"] = TestImages.RandomBytes(30), ["D3"] = TestImages.RandomBytes(43),
            };
            foreach (var (k, v) in data) c.Blocks[k] = Checksum.Of(v);
            string image = TestImages.Create(c.T.WorkFile("image.img"), 16 * TestImages.MiB,
                (0, data["A0"]), (1L * B, data["A1"]), (2L * B, data["A2"]), (3L * B, data["A3"]));
            await c.Take(0, volume, image);
            TestImages.Write(image, 1L * B, data["B1"]);
            TestImages.Write(image, 5L * B, data["B5"]);
            await c.Take(1, volume, image);
            TestImages.Write(image, 0, data["C0"]);
            TestImages.Write(image, 5L * B, new byte[B]);
            await c.Take(2, volume, image);
            TestImages.Write(image, 3L * B, data["D3"]);
            await c.Take(3, volume, image);
            return c;
        }

        private async Task Take(int i, string volume, string image)
        {
            var r = await T.BackupAsync(volume, image, snapshot: $"s{i + 1}", clock: new FixedClock(T0.AddMinutes(i)));
            Names[i] = r.Backup.Name;
            Shas[r.Backup.Name] = TestImages.Sha256(image);
        }

        public HashSet<string> BlockChecksums(string volume = V) =>
            T.BlockFiles(volume).Select(Path.GetFileNameWithoutExtension).ToHashSet()!;

        public HashSet<string> Named(params string[] keys) => keys.Select(k => Blocks[k]).ToHashSet();

        public async Task AssertRestoresAsync(IEnumerable<string> backups, string volume = V)
        {
            foreach (var (name, sha) in await T.RestoreShasAsync(volume, backups)) Assert.Equal(Shas[name], sha);
        }

        public void Dispose() => T.Dispose();
    }

    [Theory]
    [InlineData(0, new[] { "A1" })]
    [InlineData(1, new[] { "B5" })]
    [InlineData(2, new string[0])]
    [InlineData(3, new[] { "D3" })]
    public async Task Deleting_one_backup_frees_exactly_the_blocks_no_remaining_backup_references(int index, string[] freed)
    {
        using var c = await Chain.CreateAsync();
        var before = c.BlockChecksums();
        Assert.Equal(8, before.Count);

        var r = await c.T.DeleteBackupsAsync(V, c.Names[index]);

        Assert.Equal(new[] { c.Names[index] }, r.Deleted);
        Assert.True(r.BlocksCollected, r.CollectionSkippedReason);
        Assert.Equal(freed.Length, r.BlocksDeleted);
        Assert.Equal(c.Named(freed), before.Except(c.BlockChecksums()).ToHashSet());
        Assert.False(File.Exists(c.T.BackupCfgFile(V, c.Names[index])));
        var remaining = c.Names.Where((_, i) => i != index).ToArray();
        Assert.Equal(remaining.Order(StringComparer.Ordinal), await c.T.Store.ListBackupNamesAsync(V, CancellationToken.None));
        // Every remaining backup restores bit-exact, and BlockCount is what is in the pool now.
        await c.AssertRestoresAsync(remaining);
        Assert.Equal(8 - freed.Length, c.T.ReadVolumeCfg(V).BlockCount);
        Assert.Equal(8 - freed.Length, r.BlockCount);
        Assert.Empty(c.T.LockFiles(V));
    }

    [Fact]
    public async Task Deleting_the_newest_backup_moves_LastBackupName_to_the_next_newest()
    {
        using var c = await Chain.CreateAsync();
        Assert.Equal(c.Names[3], c.T.ReadVolumeCfg(V).LastBackupName);

        var r = await c.T.DeleteBackupsAsync(V, c.Names[3]);
        var volume = c.T.ReadVolumeCfg(V);
        Assert.Equal(c.Names[2], volume.LastBackupName);
        Assert.Equal(c.Names[2], r.LastBackupName);
        Assert.Equal("2026-03-01T12:02:00Z", volume.LastBackupAt);   // its SnapshotCreatedAt

        await c.T.DeleteBackupsAsync(V, c.Names[2]);
        Assert.Equal(c.Names[1], c.T.ReadVolumeCfg(V).LastBackupName);
        Assert.Equal("2026-03-01T12:01:00Z", c.T.ReadVolumeCfg(V).LastBackupAt);

        // Deleting an older backup leaves LastBackupName alone.
        await c.T.DeleteBackupsAsync(V, c.Names[0]);
        Assert.Equal(c.Names[1], c.T.ReadVolumeCfg(V).LastBackupName);
        await c.AssertRestoresAsync(new[] { c.Names[1] });
    }

    [Fact]
    public async Task Several_backups_are_deleted_with_one_pass_over_the_block_pool()
    {
        using var c = await Chain.CreateAsync();
        var before = c.BlockChecksums();
        HookedStore? hooked = null;
        var via = c.T.Through(s => hooked = new HookedStore(s));

        var r = await c.T.DeleteBackupsAsync(V, new[] { c.Names[0], c.Names[2] }, via);

        Assert.Equal(new[] { c.Names[0], c.Names[2] }, r.Deleted);
        // b1 took A1 with it; C0 of b3 is still used by b4.
        Assert.Equal(c.Named("A1"), before.Except(c.BlockChecksums()).ToHashSet());
        Assert.Single(hooked!.Calls, x => x.Operation == "ListTree" && x.Key.EndsWith("/blocks", StringComparison.Ordinal));
        // Each remaining cfg is read once to count references.
        Assert.Single(hooked.Where("Read", $"backup_{c.Names[1]}.cfg"));
        Assert.Single(hooked.Where("Read", $"backup_{c.Names[3]}.cfg"));
        await c.AssertRestoresAsync(new[] { c.Names[1], c.Names[3] });
    }

    [Fact]
    public async Task Deleting_every_backup_frees_every_block_and_keeps_the_volume()
    {
        using var c = await Chain.CreateAsync();
        var r = await c.T.DeleteBackupsAsync(V, c.Names);
        Assert.Equal(8, r.BlocksDeleted);
        Assert.Empty(c.T.BlockFiles(V));
        var volume = c.T.ReadVolumeCfg(V);
        Assert.Equal("", volume.LastBackupName);
        Assert.Equal("", volume.LastBackupAt);
        Assert.Equal(0, volume.BlockCount);
        Assert.Empty(await c.T.Store.ListBackupNamesAsync(V, CancellationToken.None));
    }

    [Fact]
    public async Task An_in_progress_backup_stops_block_deletion_but_never_blocks_restores_and_can_itself_be_removed()
    {
        using var c = await Chain.CreateAsync();
        // What a crashed backup leaves: its in-progress cfg (CreatedTime empty) and maybe some blocks.
        await c.T.Store.SaveBackupAsync(new BackupConfig { Name = "backup-00000000000000ff", VolumeName = V, CompressionMethod = "lz4" }, CancellationToken.None);
        var before = c.BlockChecksums();

        var r = await c.T.DeleteBackupsAsync(V, c.Names[3]);

        Assert.Equal(new[] { c.Names[3] }, r.Deleted);
        Assert.False(r.BlocksCollected);
        Assert.Contains("backup-00000000000000ff", r.CollectionSkippedReason);
        Assert.Contains("in progress", r.CollectionSkippedReason);
        Assert.Equal(before, c.BlockChecksums());                      // D3 is not freed
        Assert.Equal("", c.T.ReadVolumeCfg(V).LastBackupName);          // Longhorn leaves it cleared
        await c.AssertRestoresAsync(c.Names[..3]);

        // Removing the leftover lets the next deletion collect again.
        var cleanup = await c.T.DeleteBackupsAsync(V, "backup-00000000000000ff");
        Assert.True(cleanup.BlocksCollected, cleanup.CollectionSkippedReason);
        Assert.Equal(c.Named("D3"), before.Except(c.BlockChecksums()).ToHashSet());
        Assert.Equal(7, c.T.ReadVolumeCfg(V).BlockCount);
        await c.AssertRestoresAsync(c.Names[..3]);
    }

    [Fact]
    public async Task A_backup_that_appears_during_the_pass_stops_block_deletion()
    {
        using var c = await Chain.CreateAsync();
        var before = c.BlockChecksums();
        // Another client adds a backup (that uses D3) just as the block pool is listed.
        var late = c.T.ReadBackupCfg(V, c.Names[3]);
        late.Name = "backup-0000000000000abc";
        HookedStore? hooked = null;
        var via = c.T.Through(s => hooked = new HookedStore(s));
        hooked!.Before = async (op, key) =>
        {
            if (op == "ListTree" && key.EndsWith("/blocks", StringComparison.Ordinal))
                await c.T.Store.SaveBackupAsync(late, CancellationToken.None);
        };

        var r = await c.T.DeleteBackupsAsync(V, new[] { c.Names[3] }, via);

        Assert.False(r.BlocksCollected);
        Assert.Contains("backup-0000000000000abc", r.CollectionSkippedReason);
        Assert.Equal(before, c.BlockChecksums());
        c.Shas[late.Name] = c.Shas[c.Names[3]];
        await c.AssertRestoresAsync(new[] { c.Names[0], c.Names[1], c.Names[2], late.Name });
    }

    [Fact]
    public async Task An_unreadable_remaining_cfg_stops_block_deletion_and_a_corrupt_cfg_can_itself_be_deleted()
    {
        using var c = await Chain.CreateAsync();
        var before = c.BlockChecksums();
        File.WriteAllText(c.T.BackupCfgFile(V, c.Names[1]), "{\"Name\":");

        var r = await c.T.DeleteBackupsAsync(V, c.Names[3]);
        Assert.False(r.BlocksCollected);
        Assert.Contains(c.Names[1], r.CollectionSkippedReason);
        Assert.Contains("cannot be read", r.CollectionSkippedReason);
        Assert.Equal(before, c.BlockChecksums());

        // Longhorn deletes a backup whose cfg it cannot load (with a stub); so do we, and the pass then collects.
        var fixup = await c.T.DeleteBackupsAsync(V, c.Names[1]);
        Assert.True(fixup.BlocksCollected, fixup.CollectionSkippedReason);
        Assert.Equal(c.Named("D3", "B5"), before.Except(c.BlockChecksums()).ToHashSet());
        await c.AssertRestoresAsync(new[] { c.Names[0], c.Names[2] });
    }

    [Fact]
    public async Task Deleting_a_backup_that_does_not_exist_changes_nothing()
    {
        using var c = await Chain.CreateAsync();
        string before = c.T.TreeState();
        var r = await c.T.DeleteBackupsAsync(V, "backup-0000000000000000");
        Assert.Empty(r.Deleted);
        Assert.Equal(new[] { "backup-0000000000000000" }, r.NotFound);
        Assert.Equal(before, c.T.TreeState());

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() => c.T.DeleteBackupsAsync("vol-none-such", "backup-0000000000000000"));
        Assert.Equal(ErrorIds.BackupVolumeNotFound, e.ErrorId);
        var bad = await Assert.ThrowsAsync<LonghornBackupException>(() => c.T.DeleteBackupsAsync(V, "../escape"));
        Assert.Equal(ErrorIds.InvalidName, bad.ErrorId);
        Assert.Equal(before, c.T.TreeState());
    }

    [Fact]
    public async Task Cancelling_during_block_deletion_keeps_the_store_consistent()
    {
        using var c = await Chain.CreateAsync();
        using var cts = new CancellationTokenSource();
        HookedStore? hooked = null;
        var via = c.T.Through(s => hooked = new HookedStore(s));
        hooked!.Before = (op, key) =>
        {
            if (op == "Delete" && key.EndsWith(".blk", StringComparison.Ordinal)) cts.Cancel();
            return Task.CompletedTask;
        };

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            c.T.DeleteBackupsAsync(V, new[] { c.Names[2], c.Names[3] }, via, ct: cts.Token));

        Assert.Equal(ErrorIds.OperationCancelled, e.ErrorId);
        Assert.Equal(c.Names[..2].Order(StringComparer.Ordinal), await c.T.Store.ListBackupNamesAsync(V, CancellationToken.None));
        Assert.Equal(c.Names[1], c.T.ReadVolumeCfg(V).LastBackupName);
        Assert.Empty(c.T.LockFiles(V));
        await c.AssertRestoresAsync(c.Names[..2]);
        // The next deletion frees what the cancelled one left.
        await c.T.DeleteBackupsAsync(V, c.Names[0]);
        Assert.Equal(c.Named("A0", "B1", "A2", "A3", "B5"), c.BlockChecksums());
    }

    [Fact]
    public async Task Deleting_longhorns_fixture_backups_keeps_the_others_restorable_to_the_manifest_images()
    {
        using var t = new TestStore(TestImages.FixtureRoot);
        var manifest = FixtureTests.ManifestBackups;
        var lz4 = manifest.Where(m => m.Volume == "vol-lz4").ToList();
        var before = t.BlockFiles("vol-lz4").Select(Path.GetFileNameWithoutExtension).ToHashSet();

        var r = await t.DeleteBackupsAsync("vol-lz4", lz4[0].Backup);

        Assert.True(r.BlocksCollected, r.CollectionSkippedReason);
        var remaining = lz4.Skip(1).ToList();
        var referenced = new HashSet<string>();
        foreach (var m in remaining) referenced.UnionWith(t.ReadBackupCfg("vol-lz4", m.Backup).Blocks.Select(b => b.BlockChecksum));
        var after = t.BlockFiles("vol-lz4").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        Assert.Equal(before.Intersect(referenced).ToHashSet(), after);
        Assert.True(r.BlocksDeleted > 0);
        Assert.Equal(after.Count, t.ReadVolumeCfg("vol-lz4").BlockCount);
        Assert.Equal(lz4[^1].Backup, t.ReadVolumeCfg("vol-lz4").LastBackupName);
        foreach (var m in remaining)
            Assert.Equal(m.ImageSha256, TestImages.Sha256(await t.RestoreToNewFileAsync(m.Volume, m.Backup)));

        // The only backup of vol-gzip: the newest goes, so LastBackupName empties and every block is freed.
        var gzip = manifest.Single(m => m.Volume == "vol-gzip");
        await t.DeleteBackupsAsync("vol-gzip", gzip.Backup);
        Assert.Empty(t.BlockFiles("vol-gzip"));
        Assert.Equal("", t.ReadVolumeCfg("vol-gzip").LastBackupName);
        // Other volumes are untouched.
        var none = manifest.Single(m => m.Volume == "vol-none");
        Assert.Equal(none.ImageSha256, TestImages.Sha256(await t.RestoreToNewFileAsync(none.Volume, none.Backup)));
    }

    [Fact]
    public async Task Removing_a_backup_volume_removes_its_folder_and_nothing_else()
    {
        using var c = await Chain.CreateAsync();
        string other = TestImages.Create(c.T.WorkFile("other.img"), 4 * TestImages.MiB, (0, TestImages.RandomBytes(99)));
        var kept = await c.T.BackupAsync("vol-keep", other);
        c.T.PlantLock(V, Locking.LockType.BackupOrRestore, acquired: true, age: TimeSpan.FromMinutes(10));   // stale leftover

        var r = await new VolumeDeleter(c.T.Store, TestStore.FastLocks).DeleteAsync(V, null, null, CancellationToken.None);

        Assert.Equal((V, 4, 8), (r.VolumeName, r.BackupsDeleted, r.BlocksDeleted));
        Assert.Empty(r.LeftBehind);
        Assert.False(Directory.Exists(c.T.VolumeDir(V)));
        Assert.Equal(new[] { "vol-keep" }, await c.T.Store.ListVolumeNamesAsync(CancellationToken.None));
        Assert.Equal(TestImages.Sha256(other), TestImages.Sha256(await c.T.RestoreToNewFileAsync("vol-keep", kept.Backup.Name)));

        var e = await Assert.ThrowsAsync<LonghornBackupException>(() =>
            new VolumeDeleter(c.T.Store, TestStore.FastLocks).DeleteAsync(V, null, null, CancellationToken.None));
        Assert.Equal(ErrorIds.BackupVolumeNotFound, e.ErrorId);
    }
}
