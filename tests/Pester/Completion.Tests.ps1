# Tab completion returns names from a real target, as a user pressing Tab would see them.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    Set-LhBackupTarget -Name offsite -Url $target
    $img = Join-Path $work 'c.img'
    New-TestImage -Path $img -SizeMiB 4 -DataBlocks 0
    $script:b1 = New-LhBackup -VolumeName app-data -SnapshotName s1 -Path $img
    $script:b2 = New-LhBackup -VolumeName app-logs -SnapshotName s1 -Path $img
    $null = New-LhBackup -VolumeName other -SnapshotName s1 -Path $img

    function Complete([string] $line) {
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
    }
}

AfterAll { Remove-Item -LiteralPath $work, $target -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Argument completion' {
    It 'completes -Target with the names of the targets set' {
        Complete 'Get-LhBackup -Target off' | Should -Be @('offsite')
    }

    It 'completes -VolumeName with the volumes on the target' {
        Complete 'Get-LhBackup -VolumeName app' | Should -Be @('app-data', 'app-logs')
        Complete 'Get-LhBackupVolume -Name oth' | Should -Be @('other')
    }

    It 'completes backup names of the volume given on the command line' {
        Complete 'Restore-LhBackup -VolumeName app-logs -Name ' | Should -Be @($b2.Name)
        Complete 'Get-LhBackup -VolumeName app-data -Name backup-' | Should -Be @($b1.Name)
    }

    It 'completes nothing, quickly, for a target that is not set' {
        Complete 'Get-LhBackup -Target nowhere -VolumeName a' | Should -BeNullOrEmpty
    }
}
