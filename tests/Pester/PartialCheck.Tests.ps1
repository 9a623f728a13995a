# Test-LhBackup -Deep -Subset / -Sample as a nightly runbook uses them: a week of subsets reads every block once, the
# output says which share was read, and bad values fail before anything is checked.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 32 -DataBlocks (0..13)
    $script:backup = New-LhBackup -VolumeName vol-part -SnapshotName s1 -Path $image
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Test-LhBackup -Deep -Subset and -Sample' {
    It 'reads every block once over the seven parts of a week, and says which part each run read' {
        $runs = 1..7 | ForEach-Object { $backup | Test-LhBackup -Deep -Subset "$_/7" }
        $runs.Share | Should -Be (1..7 | ForEach-Object { "$_/7" })
        ($runs | Measure-Object BlocksRead -Sum).Sum | Should -Be 14
        $runs.State | Sort-Object -Unique | Should -Be 'Healthy'
        ($runs[2] | Out-String -Width 120) | Should -Match "$($backup.Name) +Healthy +3/7 "
    }

    It 'finds a corrupt block in exactly the part that holds it' {
        $victim = Get-ChildItem -LiteralPath $target -Recurse -Filter *.blk | Select-Object -First 1
        $bytes = [IO.File]::ReadAllBytes($victim.FullName); $bytes[100] = $bytes[100] -bxor 0xFF
        [IO.File]::WriteAllBytes($victim.FullName, $bytes)
        $runs = 1..7 | ForEach-Object { $backup | Test-LhBackup -Deep -Subset "$_/7" -ErrorAction SilentlyContinue }
        @($runs | Where-Object State -eq 'Corrupt').Count | Should -Be 1
        ($runs | Where-Object State -eq 'Corrupt').CorruptBlocks | Should -Be $victim.BaseName
    }

    It 'reads about its percentage with -Sample' {
        $r = $backup | Test-LhBackup -Deep -Sample 50% -ErrorAction SilentlyContinue
        $r.Share | Should -Be '50%'
        $r.BlocksRead | Should -BeGreaterThan 0
        $r.BlocksRead | Should -BeLessThan 14
    }

    It 'refuses <What> with InvalidBlockShare' -ForEach @(
        @{ What = 'part 8 of 7'; Arguments = @{ Deep = $true; Subset = '8/7' } }
        @{ What = '0%'; Arguments = @{ Deep = $true; Sample = '0%' } }
        @{ What = 'both a subset and a sample'; Arguments = @{ Deep = $true; Subset = '1/7'; Sample = '10%' } }
        @{ What = 'a subset without -Deep'; Arguments = @{ Subset = '1/7' } }
    ) {
        $err = $null
        try { Test-LhBackup -VolumeName vol-part @Arguments -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidBlockShare,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}
