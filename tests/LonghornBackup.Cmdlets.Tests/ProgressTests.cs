using System.Management.Automation;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>Progress as a user sees it: a parent bar per command over several volumes, each volume's work below it.</summary>
public class ProgressTests
{
    /// <summary>A session whose default target is its own folder, and an 8 MiB image with two data blocks.</summary>
    private static PowerShellHost HostWithTarget(out string image)
    {
        var host = new PowerShellHost();
        image = host.NewImage("a.img", 8, 0, 2);
        var (_, errors) = host.Run($"Set-LhBackupTarget -Url '{host.Target}'");
        Assert.Empty(errors);
        return host;
    }

    [Fact]
    public void Verifying_several_volumes_shows_a_parent_bar_with_each_volume_as_its_child_and_completes_both()
    {
        using var host = HostWithTarget(out string image);
        var (_, setupErrors) = host.Run($"New-LhBackup v1 s1 '{image}' | Out-Null; New-LhBackup v2 s1 '{image}' | Out-Null");
        Assert.Empty(setupErrors);

        var records = host.RunCollectingProgress("Test-LhBackup -Deep");
        var parents = records.Where(r => r.Activity.StartsWith("Verifying backups", StringComparison.Ordinal)).ToList();
        Assert.Contains(parents, r => r.StatusDescription == "Volume 1 of 2: v1");
        Assert.Contains(parents, r => r.StatusDescription == "Volume 2 of 2: v2");
        Assert.Equal(ProgressRecordType.Completed, parents[^1].RecordType);
        int parentId = parents[0].ActivityId;
        var children = records.Where(r => r.ParentActivityId == parentId).ToList();
        Assert.NotEmpty(children);
        Assert.Contains(children, r => r.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void Applying_a_manifest_of_several_backups_shows_a_parent_bar_with_each_backup_as_its_child()
    {
        using var host = HostWithTarget(out string image);
        string manifest = string.Join("\n---\n", new[] { "v1", "v2" }.Select(v =>
            $"apiVersion: longhorn.io/v1beta2\nkind: Backup\nmetadata:\n  generateName: nightly-\n  labels:\n    backup-volume: {v}\nspec:\n  snapshotName: s1"));
        File.WriteAllText(Path.Combine(host.Work, "two.yaml"), manifest);

        var (plans, errors) = host.Run($"New-LhBackup -Manifest two.yaml -Path '{image}' -WhatIf");
        Assert.Empty(errors);
        Assert.Equal(2, plans.Count);
        var records = host.RunCollectingProgress($"New-LhBackup -Manifest two.yaml -Path '{image}'");
        var parents = records.Where(r => r.Activity == "Applying backup manifests").ToList();
        Assert.Contains(parents, r => r.StatusDescription == "Volume 1 of 2: v1");
        Assert.Contains(parents, r => r.StatusDescription == "Volume 2 of 2: v2");
        Assert.Equal(ProgressRecordType.Completed, parents[^1].RecordType);
        var children = records.Where(r => r.ParentActivityId == parents[0].ActivityId).ToList();
        Assert.Contains(children, r => r.Activity == "Backing up v1");
        Assert.Contains(children, r => r.Activity == "Backing up v2");
        Assert.All(new[] { "v1", "v2" }, v => Assert.Contains(children, r => r.Activity == $"Backing up {v}" && r.RecordType == ProgressRecordType.Completed));
    }

    [Fact]
    public void Backing_up_one_image_shows_one_bar_without_a_parent()
    {
        using var host = HostWithTarget(out string image);

        var records = host.RunCollectingProgress($"New-LhBackup v1 s1 '{image}'");
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal("Backing up v1", r.Activity));
        Assert.All(records, r => Assert.Equal(-1, r.ParentActivityId));
        Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
    }

    [Fact]
    public void Backing_up_a_sparse_image_counts_its_data_not_its_size_and_shows_bytes_and_rate_in_the_status()
    {
        // 64 MiB image, three 2 MiB blocks of data: 6 MiB will be read.
        using var host = HostWithTarget(out _);
        string image = host.NewImage("sparse.img", 64, 3, 17, 30);

        var records = host.RunCollectingProgress($"New-LhBackup v1 s1 '{image}'");
        var processing = records.Where(r => r.RecordType == ProgressRecordType.Processing).ToList();
        Assert.NotEmpty(processing);
        // The status (all PowerShell's Minimal view shows) carries the bytes of the data and the rate.
        Assert.All(processing, r => Assert.Matches(@"\d+(\.\d+)? (B|KiB|MiB) of 6 MiB", r.StatusDescription));
        var last = processing[^1];
        Assert.Equal(100, last.PercentComplete);
        Assert.Matches(@"6 MiB of 6 MiB, \d+(\.\d+)? (B|KiB|MiB|GiB)/s", last.StatusDescription);
        Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
    }

    [Fact]
    public void Restoring_shows_bytes_and_rate_in_the_status_and_reaches_100_percent_of_the_data()
    {
        using var host = HostWithTarget(out _);
        string image = host.NewImage("sparse.img", 64, 3, 17, 30);
        var (_, errors) = host.Run($"New-LhBackup v1 s1 '{image}' | Out-Null");
        Assert.Empty(errors);

        var records = host.RunCollectingProgress("Get-LhBackup v1 | Restore-LhBackup -Path restored.img");
        var processing = records.Where(r => r.RecordType == ProgressRecordType.Processing).ToList();
        Assert.NotEmpty(processing);
        Assert.All(processing, r => Assert.Matches(@" of 6 MiB", r.StatusDescription));
        Assert.Equal(100, processing[^1].PercentComplete);
        Assert.Matches(@"6 MiB of 6 MiB, \d+(\.\d+)? (B|KiB|MiB|GiB)/s", processing[^1].StatusDescription);
    }
}
