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
        $text = $objects.Backup | Format-Table | Out-String -Width 200
        $text | Should -Match '4 MiB'
        $objects.Backup.Size | Should -BeOfType ([long])
        $objects.Backup.Size | Should -Be 4MB
    }

    It 'lists labels and exact byte counts in the list view' {
        $text = $objects.Backup | Format-List | Out-String -Width 200
        $text | Should -Match 'app=test'
        $text | Should -Match '\(4194304 bytes\)'
    }
}
