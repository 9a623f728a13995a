# Instant access: backups served as read-only NBD block devices, read with real NBD clients from Debian's packages
# (libnbd-bin: nbdinfo, nbdcopy, nbdsh with python3-libnbd; qemu-utils: qemu-img), never with our own client.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    foreach ($tool in 'nbdinfo', 'nbdcopy', 'nbdsh', 'qemu-img') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) { throw "$tool is missing: run tools/Install-NbdClients.ps1 (build.ps1 -Task Test does)." }
    }
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    # 24 MiB: data in blocks 0, 1, 3, 4 and 9; holes elsewhere (block 2, 5-8, 10, 11).
    $script:image = Join-Path $work 'a.img'
    New-TestImage -Path $image -SizeMiB 24 -DataBlocks 0, 1, 3, 4, 9
    $script:backup = New-LhBackup -VolumeName nbd-a -SnapshotName s1 -Path $image
    $script:image2 = Join-Path $work 'b.img'
    New-TestImage -Path $image2 -SizeMiB 8 -DataBlocks 1 -Seed 5
    $script:backup2 = New-LhBackup -VolumeName nbd-b -SnapshotName s1 -Path $image2

    # nbdsh is 'python3 -m nbd'; run it on the Python python3-libnbd is installed for (Debian's /usr/bin/python3),
    # whatever python3 PATH finds first (pyenv).
    $script:python = if (Test-Path -LiteralPath /usr/bin/python3) { '/usr/bin/python3' } else { 'python3' }

    function Invoke-NbdJson([string] $Tool, [string[]] $Arguments) {
        if ($Tool -eq 'nbdsh') { $Arguments = @('-m', 'nbd') + $Arguments; $Tool = $python }
        $out = & $Tool @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$Tool $Arguments failed: $out" }
        ($out | Out-String) | ConvertFrom-Json
    }

    # Reads through libnbd's Python binding (nbdsh); $Ranges as @(@(offset, length), ...), or seeded random ones.
    function Read-Nbd([string] $Uri, [object[]] $Ranges, [int] $Seed = 7, [int] $Count = 200) {
        $env:LH_NBD_RANGES = if ($Ranges) { ConvertTo-Json -Compress -InputObject @($Ranges | ForEach-Object { , @($_) }) } else { '' }
        $env:LH_NBD_SEED = $Seed; $env:LH_NBD_COUNT = $Count
        try { Invoke-NbdJson nbdsh @('-u', $Uri, '-c', "exec(open(r'$PSScriptRoot/nbd/read-offsets.py').read())") }
        finally { Remove-Item Env:LH_NBD_RANGES, Env:LH_NBD_SEED, Env:LH_NBD_COUNT -ErrorAction Ignore }
    }

    function Get-Sha256([byte[]] $Bytes) { [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($Bytes)).ToLowerInvariant() }

    function Read-Image([string] $Path, [long] $Offset, [int] $Length) {
        $fs = [IO.File]::OpenRead($Path)
        try { $buffer = [byte[]]::new($Length); $null = $fs.Seek($Offset, 'Begin'); $fs.ReadExactly($buffer, 0, $Length); , $buffer }
        finally { $fs.Dispose() }
    }

    function Get-LockFiles([string] $Volume) {
        @(Get-ChildItem -LiteralPath $target -Recurse -Filter '*.lck' | Where-Object { $_.Directory.Parent.Name -eq $Volume })
    }
}

AfterAll {
    Get-LhBackupExport | Stop-LhBackupExport
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Backups served over a Unix socket' {
    BeforeAll {
        $script:exports = @($backup, $backup2) | Start-LhBackupExport
        $script:export = $exports | Where-Object BackupName -EQ $backup.Name
    }
    AfterAll { Get-LhBackupExport | Stop-LhBackupExport }

    It 'returns an export object per backup: URI, size and backup' {
        $exports.Count | Should -Be 2
        $export.Uri | Should -Be "nbd+unix:///$($backup.Name)?socket=$($export.SocketPath)"
        $export.Size | Should -Be 24MB
        $export.VolumeName | Should -Be 'nbd-a'
        $export.State | Should -Be 'Running'
        ($exports | Select-Object -ExpandProperty Id -Unique).Count | Should -Be 1 -Because 'one listener serves both'
    }

    It 'nbdinfo shows its size, read-only, and lists one export name per backup' {
        $info = Invoke-NbdJson nbdinfo @('--json', $export.Uri)
        $info.exports[0].'export-size' | Should -Be 24MB
        $info.exports[0].is_read_only | Should -BeTrue
        $list = Invoke-NbdJson nbdinfo @('--list', '--json', "nbd+unix:///?socket=$($export.SocketPath)")
        @($list.exports.'export-name' | Sort-Object) | Should -Be @(@($backup.Name, $backup2.Name) | Sort-Object)
    }

    It 'nbdcopy copies the whole export, byte for byte the image' {
        $copy = Join-Path $work 'copy.img'
        & nbdcopy $export.Uri $copy
        $LASTEXITCODE | Should -Be 0
        (Get-FileHash $copy).Hash | Should -Be (Get-FileHash $image).Hash
        $copy2 = Join-Path $work 'copy2.img'
        & nbdcopy ($exports | Where-Object BackupName -EQ $backup2.Name).Uri $copy2
        (Get-FileHash $copy2).Hash | Should -Be (Get-FileHash $image2).Hash
    }

    It 'qemu-img converts it to qcow2, and back to raw gives the image again' {
        $qcow = Join-Path $work 'a.qcow2'
        $raw = Join-Path $work 'back.img'
        & qemu-img convert -f raw -O qcow2 $export.Uri $qcow
        $LASTEXITCODE | Should -Be 0
        & qemu-img convert -f qcow2 -O raw $qcow $raw
        (Get-FileHash $raw).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'answers reads at random offsets and lengths with the image''s bytes' {
        $results = Read-Nbd $export.Uri -Seed 11 -Count 150
        $results.Count | Should -Be 150
        foreach ($r in $results) {
            $r.sha256 | Should -Be (Get-Sha256 (Read-Image $image $r.offset $r.length)) -Because "the read at $($r.offset) (+$($r.length))"
        }
    }

    It 'reports the holes as holes (base:allocation)' {
        $map = Invoke-NbdJson nbdinfo @('--map', '--json', $export.Uri)
        $holes = @($map | Where-Object { $_.type -band 1 } | ForEach-Object { "$($_.offset)+$($_.length)" })
        $holes | Should -Be @("$(2 * 2MB)+$(2MB)", "$(5 * 2MB)+$(8MB)", "$(10 * 2MB)+$(4MB)")
    }

    It 'refuses writes with EPERM' {
        (Invoke-NbdJson nbdsh @('-u', $export.Uri, '-c', "exec(open(r'$PSScriptRoot/nbd/write.py').read())")).errno | Should -Be 'EPERM'
        (Get-FileHash (Join-Path $work 'a.img')).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'holds Longhorn''s read lock on the volume: a deletion meanwhile fails with LockConflict' {
        (Get-LockFiles nbd-a).Count | Should -Be 1
        (Get-Content -Raw (Get-LockFiles nbd-a)[0].FullName | ConvertFrom-Json).Type | Should -Be 1
        $err = $null
        try { $backup | Remove-LhBackup -Force -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'LockConflict,*'
        Get-LhBackup -VolumeName nbd-a | Should -Not -BeNullOrEmpty
    }

    It 'is listed by Get-LhBackupExport with what was read' {
        $listed = Get-LhBackupExport -Name $backup.Name
        $listed.Uri | Should -Be $export.Uri
        $listed.BytesRead | Should -BeGreaterThan 10MB -Because 'every data block was read at least once (clients skip the holes)' 
        $listed.FailedReads | Should -Be 0
        (Get-LhBackupExport | Format-Table | Out-String) | Should -Match ([regex]::Escape($backup.Name))
    }

    It 'stops with Stop-LhBackupExport: socket removed, lock released, clients refused' {
        $socket = $export.SocketPath
        $stopped = $export | Stop-LhBackupExport -PassThru
        @($stopped.State | Select-Object -Unique) | Should -Be 'Stopped'
        Test-Path -LiteralPath $socket | Should -BeFalse
        (Get-LockFiles nbd-a).Count | Should -Be 0
        Get-LhBackupExport | Should -BeNullOrEmpty
        & nbdinfo $export.Uri 2>&1 | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }
}

Describe 'A block corrupted in the store' {
    BeforeAll {
        # Corrupt the block at offset 6 MiB (block 3): same length, other bytes.
        $cfg = Get-ChildItem -LiteralPath $target -Recurse -Filter "backup_$($backup.Name).cfg" | Get-Content -Raw | ConvertFrom-Json
        $script:checksum = ($cfg.Blocks | Where-Object Offset -EQ (3 * 2MB)).BlockChecksum
        $file = Get-ChildItem -LiteralPath $target -Recurse -Filter "$checksum.blk"
        $bytes = [IO.File]::ReadAllBytes($file.FullName)
        for ($i = 100; $i -lt $bytes.Length; $i += 997) { $bytes[$i] = $bytes[$i] -bxor 0x5A }
        [IO.File]::WriteAllBytes($file.FullName, $bytes)
        $script:export = $backup | Start-LhBackupExport -Port 0
    }
    AfterAll { Get-LhBackupExport -WarningAction SilentlyContinue | Stop-LhBackupExport -WarningAction SilentlyContinue }

    It 'listens on 127.0.0.1 when given a TCP port' {
        $export.Address | Should -Be '127.0.0.1'
        $export.Uri | Should -Be "nbd://127.0.0.1:$($export.Port)/$($backup.Name)"
    }

    It 'answers EIO on exactly the reads that touch it; every other read works' {
        $mb = 1MB
        # Before, inside, across each edge of, and after the corrupt block (6-8 MiB); one read spans it whole.
        $ranges = @(
            @(0, 4096), @(2MB, 4096), @(5MB, 4096), @(6MB, 4096), @((7MB + 5), 100), @((8MB - 10), 20),
            @((6MB - 10), 20), @(8MB, 4096), @(18MB, 4096), @(5MB, 4MB), @(0, 4096))
        $results = Read-Nbd $export.Uri -Ranges $ranges
        $touching = { param($r) $r.offset -lt 8 * $mb -and $r.offset + $r.length -gt 6 * $mb }
        foreach ($r in $results) {
            if (& $touching $r) { $r.errno | Should -Be 'EIO' -Because "the read at $($r.offset) (+$($r.length)) touches the corrupt block" }
            else { $r.sha256 | Should -Be (Get-Sha256 (Read-Image $image $r.offset $r.length)) -Because "the read at $($r.offset) (+$($r.length)) does not" }
        }
        $export.FailedReads | Should -Be @($results | Where-Object { & $touching $_ }).Count
    }

    It 'warns naming the block when the user next runs a command of the module' {
        $warnings = $null
        $null = Get-LhBackupExport -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match $checksum
        "$($warnings[0])" | Should -Match 'EIO'
    }
}

Describe 'Serving in the foreground (-Wait) of a scheduled task' {
    It 'serves until the process is ended, then removes its socket and its lock' {
        $socket = Join-Path $work 'fg.sock'
        $fresh = Get-FreshPwsh
        $script = "Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'; Start-LhBackupExport -VolumeName nbd-b -Name $($backup2.Name) -SocketPath '$socket' -Wait"
        $process = Start-Process -FilePath $fresh.Path -ArgumentList (@($fresh.Arguments) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -PassThru
        try {
            # Waits for the socket (an event); the deadline only bounds a process that never serves: a fresh pwsh can
            # take tens of seconds to start on a busy machine.
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not (Test-Path -LiteralPath $socket) -and -not $process.HasExited -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $info = Invoke-NbdJson nbdinfo @('--json', "nbd+unix:///$($backup2.Name)?socket=$socket")
            $info.exports[0].'export-size' | Should -Be 8MB
            (Get-LockFiles nbd-b).Count | Should -Be 1
        }
        finally {
            & kill -TERM $process.Id
            $process.WaitForExit(60000) | Should -BeTrue   # a bound for a process that ignores TERM, not a time window
        }
        Test-Path -LiteralPath $socket | Should -BeFalse
        (Get-LockFiles nbd-b).Count | Should -Be 0
    }
}

Describe 'Mount-LhBackup on a machine without kernel NBD' {
    It 'fails with NbdNotAvailable saying what is missing, and the export keeps working' {
        $export = $backup2 | Start-LhBackupExport
        try {
            $err = $null
            try { $export | Mount-LhBackup -Path $work -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'NbdNotAvailable,*'
            $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err.Exception.Message | Should -Match "NBD driver \(load it with 'modprobe nbd'"
            $err.ErrorDetails.RecommendedAction | Should -Match 'nbdcopy'
            (Invoke-NbdJson nbdinfo @('--json', $export.Uri)).exports[0].'export-size' | Should -Be 8MB
        }
        finally { $export | Stop-LhBackupExport }
    }

    It 'Dismount-LhBackup refuses a folder where no backup is mounted' {
        $err = $null
        try { Dismount-LhBackup -Path $work -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'MountFailed,*'
        $err.Exception.Message | Should -Match 'not a mounted backup'
    }
}

Describe 'Removing the module' {
    It 'stops its exports: socket file and lock removed' {
        $out = Invoke-FreshSession @"
Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'
`$e = Start-LhBackupExport -VolumeName nbd-b -Name $($backup2.Name)
`$socket = `$e.SocketPath
`$before = Test-Path -LiteralPath `$socket
Remove-Module LonghornBackup
[pscustomobject]@{ Before = `$before; After = (Test-Path -LiteralPath `$socket) } | ConvertTo-Json -Compress
"@
        $out.Before | Should -BeTrue
        $out.After | Should -BeFalse
        (Get-LockFiles nbd-b).Count | Should -Be 0
    }
}

Describe 'A backup whose block map does not fit its volume record' {
    BeforeAll {
        # What an older version left after backing up a smaller image as the same volume: volume.cfg shrank to 8 MiB.
        $script:volumeCfg = (Get-ChildItem -LiteralPath $target -Recurse -Filter volume.cfg | Where-Object { $_.Directory.Name -eq 'nbd-a' }).FullName
        $script:savedCfg = [IO.File]::ReadAllText($volumeCfg)
        [IO.File]::WriteAllText($volumeCfg, ($savedCfg -replace '"Size":"\d+"', '"Size":"8388608"'))
    }
    AfterAll { [IO.File]::WriteAllText($volumeCfg, $savedCfg) }

    It 'is not served truncated: BlocksBeyondVolumeSize, nothing listening, no lock left' {
        $err = $null
        try { $backup | Start-LhBackupExport -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BlocksBeyondVolumeSize,*'
        $err.Exception.Message | Should -Match 'Nothing was exported'
        Get-LhBackupExport | Should -BeNullOrEmpty
        (Get-LockFiles nbd-a).Count | Should -Be 0
    }

    It 'is served whole with -IncludeBlocksBeyondVolumeSize' {
        $e = $backup | Start-LhBackupExport -IncludeBlocksBeyondVolumeSize
        try {
            $e.Size | Should -Be 20MB -Because 'the last mapped block (9) ends at 20 MiB'
            # Blocks 4 and 9 lie beyond the 8 MiB record (block 3 was corrupted above).
            foreach ($r in Read-Nbd $e.Uri -Ranges @(@(8MB, 65536), @((18MB + 12345), 65536), @((20MB - 4096), 4096))) {
                $r.sha256 | Should -Be (Get-Sha256 (Read-Image $image $r.offset $r.length)) -Because "the read at $($r.offset)"
            }
        }
        finally { $e | Stop-LhBackupExport }
    }
}
