# Volumes only grow: a smaller snapshot is refused, and a store whose volume record was shrunk (by an older version of
# this module) is reported by Restore-LhBackup and Test-LhBackup instead of restoring truncated images.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:big = Join-Path $work 'big.img'
    $script:small = Join-Path $work 'small.img'
    New-TestImage -Path $big -SizeMiB 16 -DataBlocks 0, 7
    New-TestImage -Path $small -SizeMiB 8 -DataBlocks 0, 3 -Seed 2
    $script:first = New-LhBackup -VolumeName vol-size -SnapshotName s1 -Path $big

    # What an older version did after backing up the smaller image as the same volume: volume.cfg shrank to 8 MiB.
    function Set-VolumeRecordSize([string] $Volume, [long] $Size) {
        $cfg = Get-ChildItem -LiteralPath $target -Recurse -Filter volume.cfg | Where-Object { $_.Directory.Name -eq $Volume }
        $text = [IO.File]::ReadAllText($cfg.FullName) -replace '"Size":"\d+"', "`"Size`":`"$Size`""
        [IO.File]::WriteAllText($cfg.FullName, $text)
    }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A snapshot smaller than its backup volume' {
    It 'is refused with SnapshotSmallerThanVolume, naming both sizes and a way out, and changes nothing' {
        $before = Get-TreeState $target
        $err = $null
        try { New-LhBackup -VolumeName vol-size -SnapshotName s2 -Path $small -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'SnapshotSmallerThanVolume,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*vol-size*"
        $err.Exception.Message | Should -BeLike '*8 MiB*'
        $err.Exception.Message | Should -BeLike '*16 MiB*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*new volume name*'
        Get-TreeState $target | Should -Be $before
        (Get-LhBackupVolume -Name vol-size).Size | Should -Be 16MB
    }

    It 'backs up under a new volume name' {
        (New-LhBackup -VolumeName vol-size-small -SnapshotName s2 -Path $small).VolumeName | Should -Be 'vol-size-small'
    }
}

Describe 'A backup with blocks beyond its volume''s recorded size' {
    BeforeAll { Set-VolumeRecordSize vol-size 8MB }
    AfterAll { Set-VolumeRecordSize vol-size 16MB }

    It 'is not restored truncated: BlocksBeyondVolumeSize, and no file' {
        $out = Join-Path $work 'refused.img'
        $err = $null
        try { $first | Restore-LhBackup -Path $out -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BlocksBeyondVolumeSize,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*-IncludeBlocksBeyondVolumeSize*'
        Test-Path -LiteralPath $out | Should -BeFalse
    }

    It 'restores whole with -IncludeBlocksBeyondVolumeSize, with a warning' {
        $out = Join-Path $work 'whole.img'
        $warnings = $null
        $null = $first | Restore-LhBackup -Path $out -IncludeBlocksBeyondVolumeSize -WarningVariable warnings -WarningAction SilentlyContinue
        (Get-FileHash -LiteralPath $out).Hash | Should -Be (Get-FileHash -LiteralPath $big).Hash
        "$warnings" | Should -BeLike '*at or beyond the recorded size*'
    }

    It 'is Inconsistent, not Healthy, for Test-LhBackup -Deep' {
        $errors = $null
        $result = Test-LhBackup -VolumeName vol-size -Deep -ErrorVariable errors -ErrorAction SilentlyContinue
        $result.State | Should -Be 'Inconsistent'
        $result.IsHealthy | Should -BeFalse
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'BackupVerificationFailed,*'
        "$($errors[0])" | Should -BeLike '*-IncludeBlocksBeyondVolumeSize*'
    }
}
