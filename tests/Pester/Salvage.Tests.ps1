# Restore-LhBackup -SkipCorruptBlocks as a user in trouble uses it: a store with two damaged blocks restores
# everything else bit-exact, names the two, and warns; without the switch nothing changes from a normal restore.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 16 -DataBlocks 0, 1, 2, 3, 5
    $script:backup = New-LhBackup -VolumeName vol-salvage -SnapshotName s1 -Path $image

    # Damage the blocks at offsets 2 MiB (lost) and 6 MiB (corrupted), found by their checksums in the backup.
    $blocks = Get-ChildItem -LiteralPath $target -Recurse -Filter *.blk
    $hashOf = { param($i) $b = [byte[]]::new(2MB); $fs = [IO.File]::OpenRead($image); try { $null = $fs.Seek($i * 2MB, 'Begin'); $null = $fs.Read($b, 0, 2MB) } finally { $fs.Dispose() }
                -join ([Security.Cryptography.SHA512]::HashData($b)[0..31] | ForEach-Object { $_.ToString('x2') }) }
    $script:lost = & $hashOf 1
    $script:bad = & $hashOf 3
    Remove-Item -LiteralPath ($blocks | Where-Object BaseName -eq $lost).FullName
    $file = ($blocks | Where-Object BaseName -eq $bad).FullName
    $bytes = [IO.File]::ReadAllBytes($file); $bytes[200] = $bytes[200] -bxor 0xFF; [IO.File]::WriteAllBytes($file, $bytes)
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-LhBackup -SkipCorruptBlocks' {
    It 'restores the rest bit-exact, zeros the two damaged blocks, lists them and warns about each' {
        $out = Join-Path $work 'salvaged.img'
        $r = $backup | Restore-LhBackup -Path $out -SkipCorruptBlocks -WarningVariable warnings -WarningAction SilentlyContinue
        $r.DamagedBlocks.Count | Should -Be 2
        $r.DamagedBlocks.Offset | Should -Be 2MB, 6MB
        $r.DamagedBlocks.Reason | Should -Be 'Missing', 'Corrupt'
        $r.DamagedBlocks.Checksum | Should -Be $lost, $bad
        $r.DamagedBytes | Should -Be 4MB
        @($warnings | Where-Object { "$_" -like 'Block * is *: * bytes of zeros*' }).Count | Should -Be 2
        "$warnings" | Should -BeLike '*fsck*'

        $expected = [IO.File]::ReadAllBytes($image)
        [Array]::Clear($expected, 2MB, 2MB); [Array]::Clear($expected, 6MB, 2MB)
        $actual = [IO.File]::ReadAllBytes($out)
        [Linq.Enumerable]::SequenceEqual($expected, $actual) | Should -BeTrue
    }

    It 'without the switch fails as before, with no file left' {
        $out = Join-Path $work 'whole.img'
        $err = $null
        try { $backup | Restore-LhBackup -Path $out -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BlockMissing,*'
        $out | Should -Not -Exist
    }
}
