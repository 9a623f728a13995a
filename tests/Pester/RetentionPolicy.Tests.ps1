# Remove-LhBackup retention policies as a runbook uses them: -WhatIf shows each backup's fate and the rules keeping
# it and changes nothing; the real run removes exactly the others with one garbage collection.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0
    # Six backups, then their snapshot times rewritten to six days, 2026-11-20 .. 2026-11-25 at noon UTC, two on the
    # last day (so the newest of that day is the only daily one of it).
    $script:days = '2026-11-20T12:00:00Z', '2026-11-21T12:00:00Z', '2026-11-22T12:00:00Z', '2026-11-23T12:00:00Z', '2026-11-25T08:00:00Z', '2026-11-25T12:00:00Z'
    $script:names = foreach ($i in 0..5) {
        Set-TestBlock -Path $image -Index 1 -Seed (50 + $i)
        (New-LhBackup -VolumeName vol-ret -SnapshotName "s$i" -Path $image).Name
    }
    foreach ($i in 0..5) {
        $cfg = Get-ChildItem -LiteralPath $target -Recurse -Filter "backup_$($names[$i]).cfg"
        $text = [IO.File]::ReadAllText($cfg.FullName) -replace '"SnapshotCreatedAt":"[^"]*"', "`"SnapshotCreatedAt`":`"$($days[$i])`""
        [IO.File]::WriteAllText($cfg.FullName, $text)
    }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remove-LhBackup retention policies' {
    It '-WhatIf lists every backup with its fate and the rules keeping it, and changes nothing' {
        $before = Get-TreeState $target
        $d = @(Remove-LhBackup -VolumeName vol-ret -KeepDaily 2 -KeepWithin 3d -Utc -WhatIf)
        $d | ForEach-Object { $_ | Should -BeOfType LonghornBackup.RetentionDecision }
        $d.Name | Should -Be $names
        # Daily 2: the 25th's newest (#5) and the 23rd (#3); within 3 days of the 25th 12:00: #3 (23rd 12:00), #4, #5.
        $d.Action | Should -Be 'Remove', 'Remove', 'Remove', 'Keep', 'Keep', 'Keep'
        $d[5].KeptBy | Should -Be 'daily', 'within 3d'
        $d[4].KeptBy | Should -Be 'within 3d'
        $d[3].KeptBy | Should -Be 'daily', 'within 3d'
        Get-TreeState $target | Should -Be $before
    }

    It 'removes exactly the backups no rule keeps, in one pass, and says what it kept' {
        $r = Get-LhBackupVolume -Name vol-ret | Remove-LhBackup -KeepDaily 2 -KeepWithin 3d -Utc -Force -PassThru
        $r.RemovedBackups | Sort-Object | Should -Be ($names[0..2] | Sort-Object)
        $r.GarbageCollected | Should -BeTrue
        $r.Kept.Name | Should -Be $names[3..5]
        (Get-LhBackup -VolumeName vol-ret).Name | Should -Be $names[3..5]
        $names[3..5] | ForEach-Object { (Get-LhBackup -VolumeName vol-ret -Name $_ | Test-LhBackup -Deep).State | Should -Be 'Healthy' }
    }

    It 'refuses <What> with InvalidRetention and removes nothing' -ForEach @(
        @{ What = 'a policy without rules'; Arguments = @{ Label = @{ a = 'b' } } }
        @{ What = 'a duration it cannot read'; Arguments = @{ KeepWithin = '7days' } }
    ) {
        $before = Get-TreeState $target
        $err = $null
        try { Remove-LhBackup -VolumeName vol-ret @Arguments -Force -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidRetention,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-TreeState $target | Should -Be $before
    }
}
