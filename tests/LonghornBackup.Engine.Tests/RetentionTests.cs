using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Lifecycle;

namespace LonghornBackup.Engine.Tests;

/// <summary>Retention for scheduled jobs: keep exactly the newest N (per label filter) and free the rest in one pass.</summary>
public class RetentionTests
{
    private const int B = TestImages.Block;
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static BackupListing Listing(string name, int minute, Dictionary<string, string>? labels = null, bool inProgress = false) =>
        new("vol", name, "url", new BackupConfig
        {
            Name = name,
            VolumeName = "vol",
            SnapshotCreatedAt = inProgress ? "" : GoJson.FormatTime(T0.AddMinutes(minute)),
            CreatedTime = inProgress ? "" : GoJson.FormatTime(T0.AddMinutes(minute + 1)),
            Labels = labels,
        }, null);

    private static string[] Names(IEnumerable<BackupListing> l) => l.Select(b => b.BackupName).ToArray();

    [Fact]
    public void Keeps_the_newest_n_by_snapshot_time_and_deletes_the_rest()
    {
        // Listed out of time order on purpose: the plan goes by SnapshotCreatedAt.
        var backups = new[] { Listing("b3", 3), Listing("b1", 1), Listing("b5", 5), Listing("b2", 2), Listing("b4", 4) };
        var plan = RetentionPlanner.Plan(backups, 2, null);
        Assert.Equal(new[] { "b4", "b5" }, Names(plan.Keep));
        Assert.Equal(new[] { "b1", "b2", "b3" }, Names(plan.Delete));
        Assert.Empty(plan.Ignored);

        Assert.Empty(RetentionPlanner.Plan(backups, 5, null).Delete);
        Assert.Empty(RetentionPlanner.Plan(backups, 9, null).Delete);
        Assert.Equal(ErrorIds.InvalidRetention, Assert.Throws<LonghornBackupException>(() => RetentionPlanner.Plan(backups, 0, null)).ErrorId);
    }

    [Fact]
    public void Backups_in_progress_or_unreadable_are_never_counted_nor_deleted()
    {
        var unreadable = new BackupListing("vol", "b0", "url", null, new LonghornBackupException(ErrorIds.CorruptConfig, ErrorKind.InvalidData, "bad"));
        var backups = new[] { unreadable, Listing("b1", 1), Listing("b2", 2), Listing("b3", 3), Listing("b9", 0, inProgress: true) };
        var plan = RetentionPlanner.Plan(backups, 2, null);
        Assert.Equal(new[] { "b2", "b3" }, Names(plan.Keep));        // the in-progress one is not among the newest
        Assert.Equal(new[] { "b1" }, Names(plan.Delete));
        Assert.Equal(new[] { "b0", "b9" }, Names(plan.Ignored));
    }

    [Fact]
    public void A_label_filter_counts_and_deletes_only_matching_backups()
    {
        var daily = new Dictionary<string, string> { ["RecurringJob"] = "daily", ["app"] = "db" };
        var weekly = new Dictionary<string, string> { ["RecurringJob"] = "weekly", ["app"] = "db" };
        var backups = new[]
        {
            Listing("d1", 1, daily), Listing("w1", 2, weekly), Listing("d2", 3, daily), Listing("d3", 4, daily),
            Listing("n1", 5), Listing("w2", 6, weekly), Listing("d4", 7, daily),
        };
        var plan = RetentionPlanner.Plan(backups, 2, new Dictionary<string, string> { ["RecurringJob"] = "daily" });
        Assert.Equal(new[] { "d3", "d4" }, Names(plan.Keep));
        Assert.Equal(new[] { "d1", "d2" }, Names(plan.Delete));
        Assert.Equal(new[] { "w1", "n1", "w2" }, Names(plan.Ignored));

        // Every label of the filter must match.
        var both = RetentionPlanner.Plan(backups, 1, new Dictionary<string, string> { ["RecurringJob"] = "weekly", ["app"] = "db" });
        Assert.Equal(new[] { "w2" }, Names(both.Keep));
        Assert.Equal(new[] { "w1" }, Names(both.Delete));
    }

    [Fact]
    public void Backups_started_in_the_same_second_keep_the_listing_order()
    {
        var backups = new[] { Listing("z-first", 1), Listing("a-second", 1), Listing("m-third", 1) };
        var plan = RetentionPlanner.Plan(backups, 1, null);
        Assert.Equal(new[] { "m-third" }, Names(plan.Keep));
        Assert.Equal(new[] { "z-first", "a-second" }, Names(plan.Delete));
    }

    [Theory]
    [InlineData(null, 3)]        // keep the 3 newest of all 6
    [InlineData("daily", 2)]     // keep the 2 newest daily ones, every weekly one stays
    public async Task Retention_keeps_exactly_the_newest_n_and_frees_the_blocks_only_the_others_used(string? job, int keep)
    {
        using var t = new TestStore();
        // Six backups, alternating daily/weekly; each adds a block of its own on top of a shared base block.
        string image = TestImages.Create(t.WorkFile("image.img"), 16 * TestImages.MiB, (0, TestImages.RandomBytes(500)));
        var names = new List<string>();
        var shas = new Dictionary<string, string>();
        var own = new Dictionary<string, string>();
        for (int i = 0; i < 6; i++)
        {
            var data = TestImages.RandomBytes(600 + i);
            TestImages.Write(image, (1L + i) * B, data);
            var labels = new Dictionary<string, string> { ["RecurringJob"] = i % 2 == 0 ? "daily" : "weekly" };
            var r = await t.BackupAsync("vol-ret", image, snapshot: $"s{i}", labels: labels, clock: new FixedClock(T0.AddHours(i)));
            names.Add(r.Backup.Name);
            shas[r.Backup.Name] = TestImages.Sha256(image);
            own[r.Backup.Name] = Checksum.Of(data);
            TestImages.Write(image, (1L + i) * B, new byte[B]);   // the next backup no longer has this block
        }
        var filter = job is null ? null : new Dictionary<string, string> { ["RecurringJob"] = job };

        var listing = await t.Store.ListBackupsAsync("vol-ret", null, CancellationToken.None);
        var plan = RetentionPlanner.Plan(listing, keep, filter);
        var expectedKeep = names.Where((_, i) => job is null || (i % 2 == 0) == (job == "daily")).TakeLast(keep).ToArray();
        Assert.Equal(expectedKeep, Names(plan.Keep));
        HookedStore? hooked = null;
        var r2 = await t.DeleteBackupsAsync("vol-ret", Names(plan.Delete), t.Through(s => hooked = new HookedStore(s)));

        var survivors = names.Except(Names(plan.Delete)).ToArray();
        Assert.Equal(survivors.Order(StringComparer.Ordinal), await t.Store.ListBackupNamesAsync("vol-ret", CancellationToken.None));
        Assert.Subset(survivors.ToHashSet(), expectedKeep.ToHashSet());
        if (job is not null) Assert.Equal(names.Where((_, i) => i % 2 == 1), survivors.Where(n => !expectedKeep.Contains(n)));
        // Exactly the deleted backups' own blocks are gone; the shared base block and the survivors' blocks stay.
        var expectedBlocks = survivors.Select(n => own[n]).Append(Checksum.Of(TestImages.RandomBytes(500))).ToHashSet();
        Assert.Equal(expectedBlocks, t.BlockFiles("vol-ret").Select(f => Path.GetFileNameWithoutExtension(f)!).ToHashSet());
        Assert.Equal(plan.Delete.Count, r2.BlocksDeleted);
        Assert.Single(hooked!.Calls, c => c.Operation == "ListTree");   // one GC pass
        foreach (var (name, sha) in await t.RestoreShasAsync("vol-ret", survivors)) Assert.Equal(shas[name], sha);
        Assert.Equal(names[^1], t.ReadVolumeCfg("vol-ret").LastBackupName);
    }
}
