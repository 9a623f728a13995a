# -MaxBytesPerSecond as an administrator checks it: a limited backup, restore and deep check take the time the limit
# implies for the bytes they move, and still produce the same data. Only that lower bound is timed here: how long a
# busy machine takes beyond it says nothing of the limit, whose rate (within 10%) TokenBucketTests checks on a
# simulated clock.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 64 -DataBlocks (0..31)   # 64 MiB of random data: stored as is
    $script:limit = 16MB

    # The least time moving $Bytes can take under the limit: all but the first quarter second's burst at the rate.
    function Get-LeastSeconds([long] $Bytes) { ($Bytes - $limit / 4) / $limit }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '-MaxBytesPerSecond' {
    It 'holds a backup to the limit: 64 MiB at 16 MiB/s take at least about 4 s' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $script:backup = New-LhBackup -VolumeName vol-bw -SnapshotName s1 -Path $image -MaxBytesPerSecond $limit
        $clock.Stop()
        $backup.NewlyUploadedDataSize | Should -BeGreaterThan 60MB
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual (Get-LeastSeconds $backup.NewlyUploadedDataSize)
    }

    It 'holds a restore to the limit, and the image is the same' {
        $out = Join-Path $work 'restored.img'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $backup | Restore-LhBackup -Path $out -MaxBytesPerSecond $limit | Out-Null
        $clock.Stop()
        (Get-FileHash -LiteralPath $out).Hash | Should -Be (Get-FileHash -LiteralPath $image).Hash
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual (Get-LeastSeconds $backup.NewlyUploadedDataSize)
    }

    It 'holds a deep check to the limit' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $result = $backup | Test-LhBackup -Deep -MaxBytesPerSecond $limit
        $clock.Stop()
        $result.State | Should -Be 'Healthy'
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual (Get-LeastSeconds $backup.NewlyUploadedDataSize)
    }

    It 'takes a target''s saved limit when the command gives none, and keeps it in the target''s settings' {
        Set-LhBackupTarget -Name slow -Url $target -MaxBytesPerSecond $limit
        (Get-LhBackupTarget -Name slow).MaxBytesPerSecond | Should -Be $limit
        Get-Content -Raw -LiteralPath (Join-Path $env:LONGHORNBACKUP_CONFIG_DIR 'targets.json') | Should -Match '"MaxBytesPerSecond":\s*16777216'
        $out = Join-Path $work 'restored-slow.img'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Restore-LhBackup -Target slow -VolumeName vol-bw -Name $backup.Name -Path $out | Out-Null
        $clock.Stop()
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual (Get-LeastSeconds $backup.NewlyUploadedDataSize)
    }

    It 'refuses a limit of zero' {
        $err = $null
        try { New-LhBackup -VolumeName vol-bw -SnapshotName s2 -Path $image -MaxBytesPerSecond 0 -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        @(Get-LhBackup -VolumeName vol-bw).Count | Should -Be 1
    }
}
