# Choosing backups as a runbook does: by snapshot, by creation time, the newest of each volume; and one order for
# Get-LhBackup and Test-LhBackup (volume by volume, oldest first, those in progress last).

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 1
    # Names run against time: name order is not creation order.
    $script:onlyA = New-LhBackup -VolumeName vol-a -SnapshotName snap-2026-11-01 -Path $image
    $script:first = New-LhBackup -VolumeName vol-b -SnapshotName snap-2026-11-01 -Path $image -Name backup-000000000000000c
    $script:second = New-LhBackup -VolumeName vol-b -SnapshotName snap-2026-11-02 -Path $image -Name backup-000000000000000b
    $script:third = New-LhBackup -VolumeName vol-b -SnapshotName snap-2026-12-01 -Path $image -Name backup-000000000000000a
    # A backup left in progress by a crash, started with the first one: it lists last all the same.
    $cfg = Get-ChildItem -LiteralPath $target -Recurse -File -Filter 'backup_backup-000000000000000c.cfg'
    (Get-Content -Raw -LiteralPath $cfg.FullName) -replace '"CreatedTime":"[^"]*"', '"CreatedTime":""' -replace 'backup-000000000000000c', 'backup-0000000000000000' |
        Set-Content -NoNewline -LiteralPath (Join-Path $cfg.DirectoryName 'backup_backup-0000000000000000.cfg')
    $script:inOrder = @($onlyA.Name, $first.Name, $second.Name, $third.Name, 'backup-0000000000000000')
}

AfterAll { Remove-Item -LiteralPath $work, $target -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'The order of backups' {
    It 'Get-LhBackup lists volume by volume, oldest first, in-progress last' {
        (Get-LhBackup).Name | Should -Be $inOrder
        (Get-LhBackup -VolumeName vol-b | Select-Object -Last 1).State | Should -Be 'InProgress'
    }

    It 'Test-LhBackup lists in the same order, also for volumes piped in another order' {
        (Test-LhBackup).Name | Should -Be $inOrder
        (Get-LhBackupVolume | Sort-Object Name -Descending | Test-LhBackup).Name | Should -Be $inOrder
        (Test-LhBackup -VolumeName vol-b -Name backup-00000000000000* -Deep).Name | Should -Be $inOrder[1..4]
    }
}

Describe 'Get-LhBackup filters' {
    It '-SnapshotName selects by snapshot, with wildcards' {
        # The crashed backup was of snap-2026-11-01 too.
        (Get-LhBackup -SnapshotName 'snap-2026-11-*' -VolumeName vol-b).Name | Should -Be @($first.Name, $second.Name, 'backup-0000000000000000')
        (Get-LhBackup -SnapshotName snap-2026-11-01).Name | Should -Be @($onlyA.Name, $first.Name, 'backup-0000000000000000')
        (Get-LhBackup -SnapshotName snap-2026-12-01).Name | Should -Be $third.Name
        Get-LhBackup -SnapshotName no-such-snapshot -ErrorAction Stop | Should -BeNullOrEmpty
    }

    It '-Latest N gives the newest N completed backups of each volume, oldest first' {
        (Get-LhBackup -Latest 1).Name | Should -Be @($onlyA.Name, $third.Name)
        (Get-LhBackup -VolumeName vol-b -Latest 2).Name | Should -Be @($second.Name, $third.Name)
        (Get-LhBackup -VolumeName vol-b -SnapshotName 'snap-2026-11-*' -Latest 1).Name | Should -Be $second.Name
        { Get-LhBackup -Latest 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }

    It '-After and -Before select by creation time, bounds excluded, in UTC or local time' {
        (Get-LhBackup -VolumeName vol-b -After $second.CreatedAt).Name | Should -Be $third.Name
        (Get-LhBackup -VolumeName vol-b -Before $second.CreatedAt).Name | Should -Be $first.Name
        (Get-LhBackup -VolumeName vol-b -After $first.CreatedAt.ToLocalTime() -Before $third.CreatedAt.ToLocalTime()).Name | Should -Be $second.Name
    }

    It 'a literal -Name another filter leaves out is no error' {
        Get-LhBackup -Name $first.Name -SnapshotName snap-2026-12-01 -ErrorAction Stop | Should -BeNullOrEmpty
        Get-LhBackup -Name $first.Name -After $third.CreatedAt -ErrorAction Stop | Should -BeNullOrEmpty
        { Get-LhBackup -Name backup-00000000000000ff -ErrorAction Stop } | Should -Throw -ErrorId 'BackupNotFound,*'
    }
}
