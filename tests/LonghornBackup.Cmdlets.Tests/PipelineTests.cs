using LonghornBackup;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>The pipelines users write, bound by property name between the cmdlets' typed objects.</summary>
public class PipelineTests
{
    private static PowerShellHost WithBackups(out string image)
    {
        var host = new PowerShellHost();
        image = host.NewImage("a.img", 8, 0, 2);
        host.Run($"Set-LhBackupTarget -Url '{host.Target}'");
        var (_, errors) = host.Run($"New-LhBackup v1 s1 '{image}' | Out-Null; New-LhBackup v2 s1 '{image}' | Out-Null");
        Assert.Empty(errors);
        return host;
    }

    [Fact]
    public void Get_LhBackupVolume_pipes_into_Get_LhBackup()
    {
        using var host = WithBackups(out _);
        var (output, errors) = host.Run("Get-LhBackupVolume -Name v2 | Get-LhBackup");
        Assert.Empty(errors);
        var backup = Assert.IsType<Backup>(Assert.Single(output).BaseObject);
        Assert.Equal("v2", backup.VolumeName);
    }

    [Fact]
    public void Get_LhBackup_pipes_into_Restore_LhBackup()
    {
        using var host = WithBackups(out string image);
        var (output, errors) = host.Run("Get-LhBackup -VolumeName v1 | Restore-LhBackup -Path restored.img");
        Assert.Empty(errors);
        var result = Assert.IsType<RestoreResult>(Assert.Single(output).BaseObject);
        Assert.Equal(result.Path, result.File.FullName);
        Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(result.Path));
    }

    [Fact]
    public void Volumes_and_backups_pipe_into_Repair_LhBackupVolume_once_per_volume()
    {
        using var host = WithBackups(out _);
        var (output, errors) = host.Run("Get-LhBackupVolume | Repair-LhBackupVolume -Force");
        Assert.Empty(errors);
        Assert.Equal(new[] { "v1", "v2" }, output.Select(o => Assert.IsType<BackupVolumeRepair>(o.BaseObject).VolumeName));
        Assert.All(output, o => Assert.True(((BackupVolumeRepair)o.BaseObject).GarbageCollected));

        (output, errors) = host.Run("New-LhBackup v1 s2 a.img | Out-Null; Get-LhBackup -VolumeName v1 | Repair-LhBackupVolume -Force");
        Assert.Empty(errors);
        Assert.Equal("v1", Assert.IsType<BackupVolumeRepair>(Assert.Single(output).BaseObject).VolumeName);
    }

    [Fact]
    public void New_LhBackup_binds_its_parameters_from_piped_objects()
    {
        using var host = WithBackups(out string image);
        var (output, errors) = host.Run($"[pscustomobject]@{{ VolumeName = 'v3'; SnapshotName = 'from-pipe'; Path = '{image}' }} | New-LhBackup");
        Assert.Empty(errors);
        var backup = Assert.IsType<Backup>(Assert.Single(output).BaseObject);
        Assert.Equal(("v3", "from-pipe"), (backup.VolumeName, backup.SnapshotName));
    }
}
