using System.Management.Automation;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>Progress as a user sees it: a parent bar per command over several volumes, each volume's work below it.</summary>
public class ProgressTests
{
    [Fact]
    public void Verifying_several_volumes_shows_a_parent_bar_with_each_volume_as_its_child_and_completes_both()
    {
        using var host = new PowerShellHost();
        string image = host.NewImage("a.img", 8, 0, 2);
        var (_, setupErrors) = host.Run($"Set-LhBackupTarget -Url '{host.Target}'; New-LhBackup v1 s1 '{image}' | Out-Null; New-LhBackup v2 s1 '{image}' | Out-Null");
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
}
