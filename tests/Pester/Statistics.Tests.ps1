# Measure-LhBackup as an administrator uses it: how much a volume stores, how well it deduplicates, and which backup
# to remove to free space (checked against the block files on disk and against a real removal).

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 16 -DataBlocks 0, 1, 2
    $script:first = New-LhBackup -VolumeName vol-stats -SnapshotName s1 -Path $image
    New-TestImage -Path $image -SizeMiB 16 -DataBlocks 0, 1, 2, 5, 6 -Seed 1   # same seed: blocks 0-2 unchanged
    $script:second = New-LhBackup -VolumeName vol-stats -SnapshotName s2 -Path $image

    # The pool as the disk has it: block file sizes by checksum.
    function Get-PoolSize { (Get-ChildItem -LiteralPath $target -Recurse -Filter *.blk | Measure-Object Length -Sum).Sum }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Measure-LhBackup' {
    It 'measures a volume: backups, data, the bytes on disk, deduplication' {
        $v = Measure-LhBackup -VolumeName vol-stats
        $v | Should -BeOfType LonghornBackup.BackupVolumeStatistics
        $v.BackupCount | Should -Be 2
        $v.LogicalDataSize | Should -Be ((3 + 5) * 2MB)
        $v.ReferencedBlockCount | Should -Be 5
        $v.StoredSize | Should -Be (Get-PoolSize)
        $v.PoolStoredSize | Should -Be (Get-PoolSize)
        $v.DeduplicationRatio | Should -Be 1.6
        $v.Backups.Name | Should -Be $first.Name, $second.Name
    }

    It 'takes volumes from Get-LhBackupVolume and backups from Get-LhBackup, in the order given' {
        (Get-LhBackupVolume -Name vol-stats | Measure-LhBackup).VolumeName | Should -Be 'vol-stats'
        $stats = @(Get-LhBackup -VolumeName vol-stats | Sort-Object CreatedAt -Descending | Measure-LhBackup)
        $stats | ForEach-Object { $_ | Should -BeOfType LonghornBackup.BackupStatistics }
        $stats.Name | Should -Be $second.Name, $first.Name
        $stats.DataSize | Should -Be (5 * 2MB), (3 * 2MB)
    }

    It 'names the backup whose removal frees the most, and removing it frees exactly that' {
        $biggest = Measure-LhBackup -VolumeName vol-stats -BackupName * | Sort-Object ExclusiveStoredSize -Descending | Select-Object -First 1
        $biggest.Name | Should -Be $second.Name   # only it has blocks 5 and 6
        $biggest.ExclusiveBlockCount | Should -Be 2
        $before = Get-PoolSize
        Get-LhBackup -VolumeName vol-stats -Name $biggest.Name | Remove-LhBackup -Force
        $before - (Get-PoolSize) | Should -Be $biggest.ExclusiveStoredSize
    }

    It 'shows volumes and backups in tables' {
        $text = Measure-LhBackup -VolumeName vol-stats | Out-String -Width 120
        $text | Should -Match 'vol-stats +1 +6 MiB +[\d.]+ (KiB|MiB) +1\.0x +[\d.]+x +0 B'
        $text = Measure-LhBackup -VolumeName vol-stats -BackupName $first.Name | Out-String -Width 120
        $text | Should -Match "$($first.Name) +\d{4}-\d\d-\d\d \d\d:\d\d +6 MiB"
    }

    It 'fails clearly for a volume or backup that is not there, and changes nothing' {
        $before = Get-TreeState $target
        $err = $null
        try { Measure-LhBackup -VolumeName no-such-volume -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupVolumeNotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err = $null
        try { Measure-LhBackup -VolumeName vol-stats -BackupName backup-nope -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        $err.Exception.Message | Should -BeLike '*backup-nope*'
        Get-TreeState $target | Should -Be $before
    }

    It 'warns about a backup whose cfg cannot be read and lists it with its error' {
        $cfg = Get-ChildItem -LiteralPath $target -Recurse -Filter "backup_$($first.Name).cfg"
        [IO.File]::WriteAllText($cfg.FullName, '{not json')
        $v = Measure-LhBackup -VolumeName vol-stats -WarningVariable warnings -WarningAction SilentlyContinue
        $v.UnreadableBackupCount | Should -Be 1
        ($v.Backups | Where-Object Name -eq $first.Name).Error | Should -Not -BeNullOrEmpty
        "$warnings" | Should -BeLike '*could not be read*'
    }
}
