# The format views render every output type, in tables and lists, without formatting errors, with readable sizes.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $img = Join-Path $work 'v.img'
    New-TestImage -Path $img -SizeMiB 8 -DataBlocks 0, 1
    $script:objects = @{
        Backup       = New-LhBackup -VolumeName view-vol -SnapshotName s1 -Path $img -Label @{ app = 'test' }
        BackupVolume = Get-LhBackupVolume -Name view-vol
        BackupTarget = Get-LhBackupTarget -Name default
        BackupPlan   = New-LhBackup -VolumeName view-vol -SnapshotName s2 -Path $img -WhatIf
    }
}

AfterAll { Remove-Item -LiteralPath $work, $target -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Format views' {
    It 'renders <_> as a table and a list without errors' -ForEach 'Backup', 'BackupVolume', 'BackupTarget', 'BackupPlan' {
        $o = $objects[$_]
        $o.GetType().FullName | Should -Be "LonghornBackup.$_"
        foreach ($view in { $o | Format-Table | Out-String -Width 200 }, { $o | Format-List | Out-String -Width 200 }) {
            $text = & $view
            $text | Should -Not -Match 'formatting error|Exception|\$_'
            $text.Trim().Length | Should -BeGreaterThan 20
        }
    }

    It 'shows sizes readable in the table and keeps raw byte counts as numbers' {
        $text = $objects.BackupVolume | Format-Table | Out-String -Width 200
        $text | Should -Match '8 MiB'
        $objects.Backup.Size | Should -BeOfType ([long])
        $objects.Backup.Size | Should -Be 4MB
    }

    It 'lists labels and exact byte counts in the list view' {
        $text = $objects.Backup | Format-List | Out-String -Width 200
        $text | Should -Match 'app=test'
        $text | Should -Match '\(4194304 bytes\)'
    }
}

Describe 'Backup volume block figures' {
    It 'calls BlockCount x 2 MiB what it is, BlockDataSize, and keeps DataStored for scripts' {
        $v = $objects.BackupVolume
        $v.BlockDataSize | Should -Be (2 * 2MB)
        $v.DataStored | Should -Be $v.BlockDataSize
        $text = $v | Format-List | Out-String -Width 200
        $text | Should -Match 'BlockDataSize +: 4 MiB \(4194304 bytes\)'
        $text | Should -Not -Match 'DataStored'
        ($v | Format-List * | Out-String -Width 200) | Should -Not -Match 'DataStored'
    }
}

Describe 'Tables in 80 columns' {
    BeforeAll {
        # Typical values: a short target folder, volume vol-1, backup backup-0123456789abcdef, a dated snapshot.
        $script:narrowRoot = Join-Path ([IO.Path]::GetTempPath()) ('lhv-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $null = New-Item -ItemType Directory -Path $narrowRoot
        Set-LhBackupTarget -Name narrow -Url $narrowRoot
        $img = Join-Path $work 'narrow.img'
        New-TestImage -Path $img -SizeMiB 8 -DataBlocks 0, 1
        $backup = New-LhBackup -Target narrow -VolumeName vol-1 -SnapshotName snap-2026-11-26 -Path $img -Name backup-0123456789abcdef
        $second = New-LhBackup -Target narrow -VolumeName vol-1 -SnapshotName snap-2026-11-27 -Path $img -Name backup-0123456789abcdee
        $script:restored = Join-Path $work 'vol-1.img'
        $script:tables = [ordered]@{
            Backup                 = $backup
            BackupVolume           = Get-LhBackupVolume -Target narrow -Name vol-1
            BackupTarget           = Get-LhBackupTarget -Name narrow
            BackupPlan             = New-LhBackup -Target narrow -VolumeName vol-1 -SnapshotName snap-2026-11-28 -Path $img -WhatIf
            BackupVerification     = Test-LhBackup -Target narrow -VolumeName vol-1 -Name $backup.Name
            RestoreResult          = $backup | Restore-LhBackup -Path $restored
            BackupTargetTestResult = Test-LhBackupTarget -Name narrow
            BackupTargetCheck      = (Test-LhBackupTarget -Name narrow).Checks
            BackupVolumeStatistics = Measure-LhBackup -Target narrow -VolumeName vol-1
            BackupStatistics       = Measure-LhBackup -Target narrow -VolumeName vol-1 -BackupName backup-0123456789abcdef
            BackupRemoval          = $second | Remove-LhBackup -Force -PassThru
        }
        # A repair that removed a backup left in progress two days ago and a lock of its run.
        $cfg = Get-ChildItem -LiteralPath $narrowRoot -Recurse -Filter "backup_$($backup.Name).cfg" | Select-Object -First 1
        $dead = Join-Path $cfg.DirectoryName 'backup_backup-0123456789abcdea.cfg'
        [IO.File]::WriteAllText($dead, '{"Name":"backup-0123456789abcdea","VolumeName":"vol-1","CreatedTime":"","Size":"0","CompressionMethod":"lz4"}')
        [IO.File]::SetLastWriteTimeUtc($dead, [DateTime]::UtcNow.AddDays(-2))
        $locks = Join-Path (Split-Path $cfg.DirectoryName) 'locks'
        $null = New-Item -ItemType Directory -Path $locks -Force
        [IO.File]::WriteAllText((Join-Path $locks 'lock-0123456789abcdef.lck'), '{"Name":"lock-0123456789abcdef","Type":1,"Acquired":true}')
        [IO.File]::SetLastWriteTimeUtc((Join-Path $locks 'lock-0123456789abcdef.lck'), [DateTime]::UtcNow.AddDays(-2))
        $tables.BackupVolumeRepair = Repair-LhBackupVolume -Target narrow -VolumeName vol-1 -Force
        $tables.BackupLeftover = $tables.BackupVolumeRepair.Removed
        $tables.BackupVolumeRemoval = Remove-LhBackupVolume -Target narrow -Name vol-1 -Force -PassThru
    }

    AfterAll {
        Remove-LhBackupTarget -Name narrow -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $narrowRoot -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'renders <_> within 80 columns, no value cut short' -ForEach 'Backup', 'BackupVolume', 'BackupTarget', 'BackupPlan',
        'BackupVerification', 'RestoreResult', 'BackupTargetTestResult', 'BackupTargetCheck', 'BackupRemoval', 'BackupVolumeRemoval',
        'BackupVolumeStatistics', 'BackupStatistics', 'BackupVolumeRepair', 'BackupLeftover' {
        $o = $tables[$_]
        @($o)[0].GetType().FullName | Should -Be "LonghornBackup.$_"
        $lines = ($o | Format-Table | Out-String -Width 80) -split "`r?`n"
        $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $lines | Where-Object { $_ -match '…|\.\.\.' } | Should -BeNullOrEmpty
        # PowerShell drops the columns that do not fit: the header must be the one a wide console shows. The backup
        # table is made for 120 columns; in 80 it keeps Name, Snapshot, Mode and CreatedAt, whole, and drops the rest.
        $header = { param($text) ($text -split "`r?`n" | Select-String -Pattern '^[- ]+$' -Context 1, 0 | Select-Object -First 1).Context.PreContext[0] -split ' +' }
        $wide = & $header ($o | Format-Table | Out-String -Width 300)
        if ($_ -eq 'Backup') { $wide = $wide[0..($wide.IndexOf('(UTC)'))] }
        & $header ($lines -join "`n") | Should -Be $wide
    }

    It 'shows what a restore wrote: backup, size and path in a table' {
        $text = $tables.RestoreResult | Out-String -Width 250
        $text | Should -Match 'backup-0123456789abcdef +8 MiB +\d+ +[\d.]+ (B|KiB|MiB) +\d\d:\d\d:\d\d +'
        $text | Should -Match ([regex]::Escape($restored))
        $tables.RestoreResult.File | Should -BeOfType ([IO.FileInfo])
        $tables.RestoreResult.File.FullName | Should -Be $restored
        (Get-FileHash -LiteralPath $restored).Hash | Should -Be ($tables.RestoreResult | Get-FileHash).Hash
    }
}

Describe 'Get-LhBackup''s table in a 120-column terminal' {
    BeforeAll {
        $img = Join-Path $work 'wide.img'
        New-TestImage -Path $img -SizeMiB 8 -DataBlocks 0, 1
        $labels = @{ RecurringJob = 'daily' }
        $null = New-LhBackup -VolumeName wide-vol -SnapshotName nightly-20261207-185723 -Path $img -Label $labels
        $null = New-LhBackup -VolumeName wide-vol -SnapshotName weekly-20261213-020000 -Path $img -Label $labels -BackupMode Full
        $script:backups = Get-LhBackup -VolumeName wide-vol
        $script:wideText = $backups | Out-String -Width 120
        $script:wideLines = $wideText -split "`r?`n"
    }

    It 'shows whole snapshot names, the mode, both upload sizes and the labels, within 120 columns' {
        $wideLines | Where-Object { $_.Length -gt 120 } | Should -BeNullOrEmpty
        $wideLines | Where-Object { $_ -match '…|\.\.\.' } | Should -BeNullOrEmpty
        $wideLines -match '^Name +Snapshot +Mode +CreatedAt \(UTC\) +New +ReUploaded +Labels$' | Should -Not -BeNullOrEmpty
        foreach ($b in $backups) {
            $row = $wideLines | Where-Object { $_.StartsWith($b.Name) }
            $row | Should -Match ([regex]::Escape($b.SnapshotName))
            $row | Should -Match "\b$($b.BackupMode)\b"
            $row | Should -Match ("{0} +{1} +RecurringJob=daily$" -f [regex]::Escape([LonghornBackup.Hosting.Sizes]::Format($b.NewlyUploadedDataSize)),
                [regex]::Escape([LonghornBackup.Hosting.Sizes]::Format($b.ReUploadedDataSize)))
        }
        # The first backup's blocks were new; the full backup uploaded them again.
        $backups[0].NewlyUploadedDataSize | Should -BeGreaterThan 0
        $backups[1].ReUploadedDataSize | Should -BeGreaterThan 0
    }
}
