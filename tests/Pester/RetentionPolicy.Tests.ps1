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

    It 'a policy kept with the target, or read from a .psd1 file, decides as the same rules given as parameters' {
        $before = Get-TreeState $target
        $expected = Remove-LhBackup -VolumeName vol-ret -KeepDaily 2 -KeepWithin 3d -Utc -WhatIf
        Set-LhBackupTarget -Name kept -Url $target -RetentionPolicy @{ keepdaily = 2; KeepWithin = [timespan]::FromDays(3); Utc = $true }
        $saved = Get-LhBackupTarget -Name kept
        $saved.RetentionPolicy.KeepDaily | Should -Be 2
        $saved.RetentionPolicy.KeepWithin | Should -Be '3d'
        "$($saved.RetentionPolicy)" | Should -Be 'KeepDaily=2, KeepWithin=3d, Utc'
        ($saved | Format-List | Out-String) | Should -Match 'RetentionPolicy\s*:\s*KeepDaily=2, KeepWithin=3d, Utc'

        $byTarget = Remove-LhBackup -Target kept -VolumeName vol-ret -UseTargetPolicy -WhatIf
        $byTarget.Name | Should -Be $expected.Name
        $byTarget.Action | Should -Be $expected.Action
        ($byTarget | ForEach-Object { $_.KeptBy -join '+' }) | Should -Be ($expected | ForEach-Object { $_.KeptBy -join '+' })

        $file = Join-Path $work 'retention.psd1'
        Set-Content -LiteralPath $file -Value "@{ KeepDaily = 2; KeepWithin = '3d'; Utc = `$true }"
        $byFile = Remove-LhBackup -VolumeName vol-ret -Policy (Import-PowerShellDataFile $file) -WhatIf
        $byFile.Action | Should -Be $expected.Action
        $byJson = Remove-LhBackup -VolumeName vol-ret -Policy ('{ "KeepDaily": 2, "KeepWithin": "3d", "Utc": true }' | ConvertFrom-Json) -WhatIf
        $byJson.Action | Should -Be $expected.Action
        Get-TreeState $target | Should -Be $before
    }

    It 'refuses a policy naming <What> with InvalidRetention, saving and removing nothing' -ForEach @(
        @{ What = 'a rule that does not exist'; Policy = @{ KeepDayly = 7 } }
        @{ What = 'a count that is not a number'; Policy = @{ KeepLast = 'many' } }
        @{ What = 'no rule at all'; Policy = @{ Label = @{ RecurringJob = 'daily' } } }
        @{ What = 'a count beyond any number of backups'; Policy = @{ KeepLast = 1e12 } }
        @{ What = 'rules written as text, not a hashtable'; Policy = 'KeepDaily=7' }
    ) {
        $before = Get-TreeState $target
        $settings = Get-Content -Raw (Get-LhBackupTarget).ConfigPath
        $err = $null
        try { Set-LhBackupTarget -Name typo -Url $target -RetentionPolicy $Policy -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidRetention,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-LhBackupTarget -Name typo -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Content -Raw (Get-LhBackupTarget).ConfigPath | Should -Be $settings
        $err = $null
        try { Remove-LhBackup -VolumeName vol-ret -Policy $Policy -Force -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidRetention,*'
        Get-TreeState $target | Should -Be $before
    }

    It '-UseTargetPolicy on a target without a policy fails with RetentionPolicyNotSet and removes nothing' {
        $before = Get-TreeState $target
        $err = $null
        try { Remove-LhBackup -VolumeName vol-ret -UseTargetPolicy -Force -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'RetentionPolicyNotSet,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.Exception.Message | Should -Match "'default' keeps no retention policy"
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

Describe 'Remove-LhBackup -UseTargetPolicy over every volume of a target' {
    It 'applies the target''s policy to each piped volume with its own label filter, and the kept backups stay whole' {
        Set-LhBackupTarget -Name pruned -Url $target -RetentionPolicy @{ KeepLast = 1; Label = @{ RecurringJob = 'nightly' } }
        $made = @{}
        foreach ($volume in 'vol-a', 'vol-b') {
            $made[$volume] = foreach ($i in 0..1) {
                Set-TestBlock -Path $image -Index 2 -Seed (80 + $i)
                (New-LhBackup -Target pruned -VolumeName $volume -SnapshotName "n$i" -Path $image -Label @{ RecurringJob = 'nightly' }).Name
            }
            # One backup of another job: the policy's label filter must leave it alone.
            $made["$volume-manual"] = (New-LhBackup -Target pruned -VolumeName $volume -SnapshotName 'manual' -Path $image).Name
        }
        $r = Get-LhBackupVolume -Target pruned | Where-Object Name -In 'vol-a', 'vol-b' | Remove-LhBackup -UseTargetPolicy -Force -PassThru
        $r.Count | Should -Be 2
        foreach ($volume in 'vol-a', 'vol-b') {
            $left = (Get-LhBackup -Target pruned -VolumeName $volume).Name | Sort-Object
            $left | Should -Be (@($made[$volume][1], $made["$volume-manual"]) | Sort-Object)
            ($r | Where-Object VolumeName -EQ $volume).RemovedBackups | Should -Be $made[$volume][0]
            (Get-LhBackup -Target pruned -VolumeName $volume -Name $made[$volume][1] | Test-LhBackup -Deep).State | Should -Be 'Healthy'
        }
        (Get-LhBackup -VolumeName vol-ret).Count | Should -Be 3   # another volume of the store is not touched
    }
}
