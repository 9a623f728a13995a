# Hostile and malformed input through the cmdlets, as a corpus: each case gets the module's own error id, a message
# naming the offending value (quoted, so white space shows), and leaves the store (and the saved targets) unchanged.
# The engine's larger corpus is tests/LonghornBackup.Engine.Tests/HostileInputCorpus.cs.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 4 -DataBlocks 0
    $script:configDir = Use-IsolatedTargetSettings
    $script:target = New-TestFolder 'lh-hostile-target'
    Set-LhBackupTarget -Url $target
    $script:seed = New-LhBackup -VolumeName vol-seed -SnapshotName s1 -Path $image -Name backup-seed

    # Runs $Command, expecting one error; returns it.
    function Get-CommandError([scriptblock] $Command) {
        $err = $null
        try { & $Command } catch { $err = $_ }
        $err
    }

    # Store files and saved settings with their hashes: equal before and after means nothing was written.
    function Get-AllState { (Get-TreeState $target) + "`n--`n" + (Get-TreeState $configDir) }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target, $script:configDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Hostile input corpus' {
    It '<Name>: <ErrorId>' -ForEach @(
        @{ Name = 'URL with a leading space'; ErrorId = 'InvalidBackupTargetUrl'; Shown = "' /var/backups'"; Command = { Set-LhBackupTarget -Name other -Url ' /var/backups' -ErrorAction Stop } }
        @{ Name = 'URL of spaces only'; ErrorId = 'InvalidBackupTargetUrl'; Shown = "'   '"; Command = { Set-LhBackupTarget -Name other -Url '   ' -ErrorAction Stop } }
        @{ Name = 'URL with a trailing tab'; ErrorId = 'InvalidBackupTargetUrl'; Shown = "'vfs:///var/backups`t'"; Command = { Set-LhBackupTarget -Name other -Url "vfs:///var/backups`t" -ErrorAction Stop } }
        @{ Name = '1 KB target name'; ErrorId = 'InvalidName'; Shown = ('t' * 1024); Command = { Set-LhBackupTarget -Name ('t' * 1024) -Url $target -ErrorAction Stop } }
        @{ Name = 'hashtable label value'; ErrorId = 'InvalidLabel'; Shown = "'app'"; Command = { New-LhBackup -VolumeName vol-new -SnapshotName s -Path $image -Label @{ app = @{ x = 1 } } -ErrorAction Stop } }
        @{ Name = 'array label value'; ErrorId = 'InvalidLabel'; Shown = "'tier'"; Command = { New-LhBackup -VolumeName vol-new -SnapshotName s -Path $image -Label @{ tier = @('a', 'b') } -ErrorAction Stop } }
        @{ Name = 'object label value'; ErrorId = 'InvalidLabel'; Shown = "'owner'"; Command = { New-LhBackup -VolumeName vol-new -SnapshotName s -Path $image -Label @{ owner = [pscustomobject]@{ n = 1 } } -ErrorAction Stop } }
        @{ Name = 'hashtable label filter'; ErrorId = 'InvalidLabel'; Shown = "'app'"; Command = { Get-LhBackup -Label @{ app = @{} } -ErrorAction Stop } }
        @{ Name = '1 KB backup name'; ErrorId = 'InvalidName'; Shown = ('b' * 1024); Command = { New-LhBackup -VolumeName vol-new -SnapshotName s -Path $image -Name ('b' * 1024) -ErrorAction Stop } }
        @{ Name = '50,000 nested ['; ErrorId = 'InvalidManifest'; Shown = 'limit of 64'; Command = { New-LhBackup -ManifestText ('[' * 50000) -VolumeName vol-new -Path $image -ErrorAction Stop } }
        @{ Name = 'restore over the store''s volume.cfg'; ErrorId = 'RestoreTargetInsideStore'; Shown = 'volume.cfg'; Command = {
                $cfg = (Get-ChildItem -LiteralPath $target -Recurse -Filter volume.cfg).FullName
                $seed | Restore-LhBackup -Path $cfg -Force -ErrorAction Stop } }
        @{ Name = 'restore into backupstore/'; ErrorId = 'RestoreTargetInsideStore'; Shown = 'x.img'; Command = { $seed | Restore-LhBackup -Path (Join-Path $target 'backupstore/x.img') -Force -ErrorAction Stop } }
    ) {
        $before = Get-AllState
        $err = Get-CommandError $Command
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $err.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Shown))*"
        Get-AllState | Should -Be $before
    }
}

Describe 'New-LhBackup -Path on a FIFO' {
    It 'gives SnapshotReadFailed naming the path at once, without opening (and blocking on) the FIFO' {
        $fifo = Join-Path $work 'snapshot.pipe'
        & mkfifo $fifo
        $before = Get-AllState
        # In a child process: if the FIFO were opened, the open would block forever, and only a process can be stopped.
        $job = Start-Job -ScriptBlock {
            Import-Module $using:env:LONGHORNBACKUP_TEST_MODULE
            try { New-LhBackup -VolumeName vol-new -SnapshotName s -Path $using:fifo -ErrorAction Stop }
            catch { [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Message = $_.Exception.Message } }
        }
        $finished = $job | Wait-Job -Timeout 120
        $result = if ($finished) { $job | Receive-Job } else { $job | Stop-Job; $null }
        $job | Remove-Job -Force
        $finished | Should -Not -BeNullOrEmpty -Because 'New-LhBackup must not block on a FIFO'
        $result.Id | Should -BeLike 'SnapshotReadFailed,*'
        $result.Message | Should -BeLike "*$fifo*"
        Get-AllState | Should -Be $before
    }
}

Describe 'Remove-LhBackupVolume and symbolic links' {
    It 'refuses a volume folder that links outside the store: precious.txt survives, the error names the link' {
        # A real volume's folder moved out of the store (next to a precious.txt) and linked back in its place.
        $null = New-LhBackup -VolumeName vol-linked -SnapshotName s1 -Path $image
        $link = Split-Path (Get-ChildItem -LiteralPath $target -Recurse -Filter volume.cfg | Where-Object FullName -Like '*vol-linked*').FullName
        $outside = Join-Path $work 'outside-volume'
        Move-Item -LiteralPath $link -Destination $outside
        Set-Content -LiteralPath (Join-Path $outside 'precious.txt') -Value 'not a backup file'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $outside

        $err = Get-CommandError { Remove-LhBackupVolume -Name vol-linked -Force -ErrorAction Stop }

        $err.FullyQualifiedErrorId | Should -BeLike 'LinkOutsideBackupTarget,*'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.Exception.Message | Should -BeLike "*$link*"
        Get-Content -LiteralPath (Join-Path $outside 'precious.txt') | Should -Be 'not a backup file'
        Test-Path -LiteralPath (Join-Path $outside 'volume.cfg') | Should -BeTrue
        @(Get-ChildItem -LiteralPath $outside -Recurse -Filter *.blk).Count | Should -BeGreaterThan 0
        Remove-Item -LiteralPath $link
    }

    It 'leaves a file that is not a backup file in the volume folder, with a warning naming it' {
        $null = New-LhBackup -VolumeName vol-extra -SnapshotName s1 -Path $image
        $dir = Split-Path (Get-ChildItem -LiteralPath $target -Recurse -Filter volume.cfg | Where-Object FullName -Like '*vol-extra*').FullName
        Set-Content -LiteralPath (Join-Path $dir 'precious.txt') -Value 'mine'

        $result = Remove-LhBackupVolume -Name vol-extra -Force -PassThru -WarningVariable warnings -WarningAction SilentlyContinue

        Get-Content -LiteralPath (Join-Path $dir 'precious.txt') | Should -Be 'mine'
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -BeLike '*precious.txt*'
        $result.LeftBehind | Should -HaveCount 1
        $result.LeftBehind[0] | Should -BeLike '*/vol-extra/precious.txt'
        Test-Path -LiteralPath (Join-Path $dir 'volume.cfg') | Should -BeFalse
        @(Get-ChildItem -LiteralPath $dir -Recurse -File).Name | Should -Be 'precious.txt'
    }
}
