# Removing and verifying backups as a user and a scheduled task do it: -WhatIf, -Force unattended, retention,
# Longhorn's locks, Test-LhBackup -Deep on a damaged store, and backups and deletions from separate processes at once.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:work = New-TestFolder

    # A fresh pwsh like a scheduled task starts: non-interactive, same module, same per-user settings folder.
    $fresh = Get-FreshPwsh
    $script:pwsh = $fresh.Path
    [string[]] $script:pwshPre = $fresh.Arguments

    # Backs up $Path and keeps a copy of the image under its snapshot name, to check restores against later.
    function New-SavedBackup([string] $Volume, [string] $Snapshot, [string] $Path, [hashtable] $Label = @{}) {
        Copy-Item -LiteralPath $Path -Destination (Join-Path $work "$Snapshot.img") -Force
        New-LhBackup -VolumeName $Volume -SnapshotName $Snapshot -Path $Path -Label $Label
    }

    # Restores the backups (in parallel: restores share the type-1 lock, so they never wait for each other) and
    # compares each with the image saved under its snapshot name in $ImageDir.
    function Assert-RestoresBitExact([object[]] $Backups, [string] $ImageDir = $work) {
        $results = @($Backups | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $env:LONGHORNBACKUP_TEST_MODULE
            $out = Join-Path $using:ImageDir "restore-$($_.Name).img"
            $null = $_ | Restore-LhBackup -Path $out -Force
            [pscustomobject]@{ Backup = $_; Hash = (Get-FileHash -LiteralPath $out).Hash }
            Remove-Item -LiteralPath $out
        })
        $results.Count | Should -Be @($Backups).Count
        foreach ($r in $results) {
            $r.Hash | Should -Be (Get-FileHash -LiteralPath (Join-Path $ImageDir "$($r.Backup.SnapshotName).img")).Hash -Because "backup $($r.Backup.Name) ($($r.Backup.SnapshotName)) must restore bit-exact"
        }
    }

    function Get-BlockNames([string] $Root) {
        @(Get-ChildItem -LiteralPath $Root -Recurse -File -Filter *.blk | ForEach-Object BaseName | Sort-Object)
    }

    # A lock file as another client (Longhorn, another process) leaves it, $AgeSeconds old.
    function New-ForeignLock([string] $Root, [string] $Volume, [int] $Type, [int] $AgeSeconds = 0) {
        $volumeDir = Get-ChildItem -LiteralPath (Join-Path $Root 'backupstore/volumes') -Recurse -Directory |
            Where-Object Name -EQ $Volume | Select-Object -First 1
        $locks = Join-Path $volumeDir.FullName 'locks'
        $null = New-Item -ItemType Directory -Path $locks -Force
        $name = 'lock-' + [guid]::NewGuid().ToString('N').Substring(0, 16)
        $path = Join-Path $locks "$name.lck"
        [IO.File]::WriteAllText($path, "{`"Name`":`"$name`",`"Type`":$Type,`"Acquired`":true}")
        [IO.File]::SetLastWriteTimeUtc($path, [DateTime]::UtcNow.AddSeconds(-$AgeSeconds))
        $path
    }
}

AfterAll {
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remove-LhBackup' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        # Five backups; each rewrites block 3, so each has one block of its own on top of the shared blocks 0-2.
        $script:image = Join-Path $work 'rm.img'
        New-TestImage -Path $image -SizeMiB 16 -DataBlocks 0, 1, 2
        $script:all = foreach ($i in 1..5) {
            Set-TestBlock -Path $image -Index 3 -Seed (300 + $i)
            New-SavedBackup -Volume vol-rm -Snapshot "rm-$i" -Path $image -Label @{ job = $(if ($i % 2) { 'daily' } else { 'weekly' }) }
        }
    }

    It 'Get-LhBackup | Remove-LhBackup -WhatIf changes nothing on disk' {
        $before = Get-TreeState $target
        Get-LhBackup | Remove-LhBackup -WhatIf
        Get-TreeState $target | Should -Be $before
        @(Get-LhBackup).Count | Should -Be 5
    }

    It 'never prompts unattended: without -Force it fails and removes nothing; with -Force it removes and frees blocks' {
        $victim = $all[1]
        $script_ = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'
try { Get-LhBackup -VolumeName vol-rm -Name $($victim.Name) | Remove-LhBackup; 'removed-without-force' } catch { 'refused' }
(Get-LhBackup -VolumeName vol-rm).Count
Get-LhBackup -VolumeName vol-rm -Name $($victim.Name) | Remove-LhBackup -Force -PassThru | ConvertTo-Json -Compress
"@
        $out = & $pwsh @pwshPre -NoProfile -NonInteractive -Command $script_
        $LASTEXITCODE | Should -Be 0
        $out[0] | Should -Be 'refused'
        $out[1] | Should -Be 5
        $removal = $out[2] | ConvertFrom-Json
        $removal.RemovedBackups | Should -Be @($victim.Name)
        $removal.GarbageCollected | Should -BeTrue
        $removal.BlocksFreed | Should -Be 1          # its own block 3
        $removal.LastBackupName | Should -Be $all[4].Name
        @(Get-LhBackup).Name | Should -Be @($all[0].Name, $all[2].Name, $all[3].Name, $all[4].Name)
        (Get-BlockNames $target).Count | Should -Be 7   # blocks 0-2 and block 3 of the four others
        Assert-RestoresBitExact (Get-LhBackup | Where-Object Name -In $all[0].Name, $all[2].Name)   # its neighbours
    }

    It '-PassThru emits a typed BackupRemoval; a missing backup is a BackupNotFound error' {
        $r = Remove-LhBackup -VolumeName vol-rm -Name $all[0].Name -Force -PassThru
        $r | Should -BeOfType ([LonghornBackup.BackupRemoval])
        $r.RemovedBackups | Should -Be @($all[0].Name)
        $r.BlockCount | Should -Be 6
        $before = Get-TreeState $target
        Remove-LhBackup -VolumeName vol-rm -Name backup-0000000000000000 -Force -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        Get-TreeState $target | Should -Be $before
    }

    It '-KeepLast with -Label keeps the newest N of that job, leaves other backups alone, and frees the rest in one pass' {
        # Left: rm-3 (daily), rm-4 (weekly), rm-5 (daily). Keep the newest daily one.
        Remove-LhBackup -VolumeName vol-rm -KeepLast 1 -Label @{ job = 'daily' } -WhatIf
        @(Get-LhBackup).Count | Should -Be 3
        $r = Remove-LhBackup -VolumeName vol-rm -KeepLast 1 -Label @{ job = 'daily' } -Force -PassThru
        $r.RemovedBackups | Should -Be @($all[2].Name)
        @(Get-LhBackup).Name | Should -Be @($all[3].Name, $all[4].Name)
        (Get-BlockNames $target).Count | Should -Be 5
        # Without a label it counts every backup.
        $r = Remove-LhBackup -VolumeName vol-rm -KeepLast 1 -Force -PassThru
        $r.RemovedBackups | Should -Be @($all[3].Name)
        (Get-LhBackup).Name | Should -Be $all[4].Name
        (Get-BlockNames $target).Count | Should -Be 4
        Assert-RestoresBitExact (Get-LhBackup)
    }

    It 'shows a backup left in progress by a crash, restores finished backups despite it, and removes it' {
        # Exactly what a backup that died after its first step leaves (docs/backupstore-format.md §2.2).
        $backups = Get-ChildItem -LiteralPath $target -Recurse -Directory -Filter backups | Select-Object -First 1
        $leftover = 'backup-00000000000000aa'
        [IO.File]::WriteAllText((Join-Path $backups.FullName "backup_$leftover.cfg"),
            "{`"Name`":`"$leftover`",`"VolumeName`":`"vol-rm`",`"SnapshotName`":`"`",`"SnapshotCreatedAt`":`"`",`"CreatedTime`":`"`",`"Size`":`"0`",`"Labels`":null,`"Parameters`":null,`"IsIncremental`":false,`"CompressionMethod`":`"lz4`",`"NewlyUploadedDataSize`":`"0`",`"ReUploadedDataSize`":`"0`",`"ProcessingBlocks`":null,`"SingleFile`":{`"FilePath`":`"`"}}")
        (Get-LhBackup -VolumeName vol-rm -Name $leftover).State | Should -Be 'InProgress'
        (Test-LhBackup -VolumeName vol-rm -Name $leftover).State | Should -Be 'InProgress'
        Assert-RestoresBitExact (Get-LhBackup -VolumeName vol-rm | Where-Object State -EQ 'Completed')
        $r = Get-LhBackup -VolumeName vol-rm | Where-Object State -EQ 'InProgress' | Remove-LhBackup -Force -PassThru
        $r.RemovedBackups | Should -Be @($leftover)
        (Get-LhBackup -VolumeName vol-rm).Name | Should -Be $all[4].Name
    }

    It 'Remove-LhBackupVolume -WhatIf changes nothing; -Force removes the whole volume' {
        $before = Get-TreeState $target
        Get-LhBackupVolume | Remove-LhBackupVolume -WhatIf
        Get-TreeState $target | Should -Be $before
        $r = Get-LhBackupVolume -Name vol-rm | Remove-LhBackupVolume -Force -PassThru
        $r | Should -BeOfType ([LonghornBackup.BackupVolumeRemoval])
        $r.BackupsRemoved | Should -Be 1
        $r.BlocksRemoved | Should -Be 4
        Get-LhBackupVolume | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $target -Recurse -File).Count | Should -Be 0
        { Remove-LhBackupVolume -Name vol-rm -Force -ErrorAction Stop } | Should -Throw -ErrorId 'BackupVolumeNotFound,*'
    }
}

Describe "Longhorn's lock protocol" {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:image = Join-Path $work 'lock.img'
        New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 1
        $script:first = New-SavedBackup -Volume vol-lock -Snapshot lock-1 -Path $image
    }

    It 'a live deletion lock makes New-LhBackup fail with LockConflict naming the deletion' {
        $lock = New-ForeignLock $target vol-lock -Type 2
        $err = $null
        try { New-LhBackup -VolumeName vol-lock -SnapshotName lock-2 -Path $image -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'LockConflict,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -BeLike '*a deletion*'
        $err.Exception.Message | Should -BeLike "*$([IO.Path]::GetFileNameWithoutExtension($lock))*"
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*-LockTimeout*'
        @(Get-LhBackup -VolumeName vol-lock).Count | Should -Be 1
        Remove-Item -LiteralPath $lock
    }

    It 'a live backup lock makes Remove-LhBackup fail, and with -LockTimeout it waits until the lock goes' {
        $lock = New-ForeignLock $target vol-lock -Type 1
        { $first | Remove-LhBackup -Force -ErrorAction Stop } | Should -Throw -ErrorId 'LockConflict,*'
        @(Get-LhBackup -VolumeName vol-lock).Count | Should -Be 1

        # A torn lock file long past the lease goes in the first look at the locks that finds it, the look that also
        # finds the backup's lock: its going tells the test that the deletion has looked and must wait, by an event
        # rather than a time.
        $probe = New-ForeignLock $target vol-lock -Type 2
        [IO.File]::WriteAllBytes($probe, [byte[]]@())
        [IO.File]::SetLastWriteTimeUtc($probe, [DateTime]::UtcNow.AddSeconds(-600))

        # Another runspace of this process (environment and settings folder shared). The timeout is only a bound:
        # the test removes the backup's lock as soon as the deletion has looked.
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $env:LONGHORNBACKUP_TEST_MODULE
            $using:first | Remove-LhBackup -Force -LockTimeout 600 -PassThru
        }
        # Not a time window: the deadline only keeps a deletion that never looks from hanging the test.
        $deadline = [DateTime]::UtcNow.AddMinutes(2)
        while ((Test-Path -LiteralPath $probe) -and $job.State -in 'NotStarted', 'Running' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        Test-Path -LiteralPath $probe | Should -BeFalse -Because "the waiting deletion looks at the locks (job $($job.State))"
        $job.State | Should -Be 'Running'
        @(Get-LhBackup -VolumeName vol-lock).Count | Should -Be 1
        Remove-Item -LiteralPath $lock
        $r = $job | Receive-Job -Wait -AutoRemoveJob -ErrorAction Stop -WarningVariable warnings -WarningAction SilentlyContinue
        $r.RemovedBackups | Should -Be @($first.Name)
        "$warnings" | Should -BeLike "*$([IO.Path]::GetFileName($probe))*ignored and removed*"
        Get-LhBackup -VolumeName vol-lock | Should -BeNullOrEmpty
    }

    It 'an unreadable lock (0 bytes, left by a torn write) blocks while it may be live, then is ignored with a warning naming it and removed' {
        $lock = New-ForeignLock $target vol-lock -Type 2
        [IO.File]::WriteAllBytes($lock, [byte[]]@())
        $key = "locks/$([IO.Path]::GetFileName($lock))"
        $err = $null
        try { New-LhBackup -VolumeName vol-lock -SnapshotName lock-4 -Path $image -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'LockConflict,*'
        $err.Exception.Message | Should -BeLike "*$key*cannot be read*"

        [IO.File]::SetLastWriteTimeUtc($lock, [DateTime]::UtcNow.AddSeconds(-200))
        Copy-Item -LiteralPath $image -Destination (Join-Path $work 'lock-4.img') -Force
        $b = New-LhBackup -VolumeName vol-lock -SnapshotName lock-4 -Path $image -WarningVariable warnings -WarningAction SilentlyContinue
        $b.State | Should -Be 'Completed'
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -BeLike "*$key*ignored and removed*"
        Test-Path -LiteralPath $lock | Should -BeFalse
        Assert-RestoresBitExact $b
    }

    It 'a stale lock older than 150 s is ignored' {
        $null = New-ForeignLock $target vol-lock -Type 2 -AgeSeconds 200
        $b = New-SavedBackup -Volume vol-lock -Snapshot lock-3 -Path $image
        $b.State | Should -Be 'Completed'
        Assert-RestoresBitExact $b
    }
}

Describe 'Repair-LhBackupVolume and what interrupted runs leave' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:image = Join-Path $work 'fix.img'
        New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 1, 2
        $script:a = New-SavedBackup -Volume vol-fix -Snapshot fix-1 -Path $image
        Set-TestBlock -Path $image -Index 2 -Seed 901
        $script:b = New-SavedBackup -Volume vol-fix -Snapshot fix-2 -Path $image
        $script:volumeDir = (Get-ChildItem -LiteralPath $target -Recurse -Directory | Where-Object Name -EQ vol-fix | Select-Object -First 1).FullName

        # What a backup killed part-way leaves, $AgeHours old: its in-progress record (docs/backupstore-format.md §2.2), a
        # block only it stored, its lock, and the temporary file of a write that never reached its rename.
        function New-DeadRun([string] $Name, [int] $AgeHours, [int] $Seed) {
            $then = [DateTime]::UtcNow.AddHours(-$AgeHours)
            $cfg = Join-Path $volumeDir "backups/backup_$Name.cfg"
            [IO.File]::WriteAllText($cfg,
                "{`"Name`":`"$Name`",`"VolumeName`":`"vol-fix`",`"SnapshotName`":`"`",`"SnapshotCreatedAt`":`"`",`"CreatedTime`":`"`",`"Size`":`"0`",`"Labels`":null,`"Parameters`":null,`"IsIncremental`":false,`"CompressionMethod`":`"lz4`",`"NewlyUploadedDataSize`":`"0`",`"ReUploadedDataSize`":`"0`",`"ProcessingBlocks`":null,`"SingleFile`":{`"FilePath`":`"`"}}")
            $checksum = -join ([Security.Cryptography.SHA512]::HashData([Text.Encoding]::UTF8.GetBytes("orphan-$Seed")) | ForEach-Object { $_.ToString('x2') })
            $checksum = $checksum.Substring(0, 64)
            $blockDir = Join-Path $volumeDir "blocks/$($checksum.Substring(0, 2))/$($checksum.Substring(2, 2))"
            $null = New-Item -ItemType Directory -Path $blockDir -Force
            $block = Join-Path $blockDir "$checksum.blk"
            [IO.File]::WriteAllBytes($block, [byte[]]::new(4096))
            $temp = Join-Path $volumeDir "volume.cfg.tmp.$Seed$([DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds())"
            [IO.File]::WriteAllText($temp, '{')
            $lock = New-ForeignLock $target vol-fix -Type 1 -AgeSeconds ($AgeHours * 3600)
            foreach ($f in $cfg, $block, $temp) { [IO.File]::SetLastWriteTimeUtc($f, $then) }
            @{ Cfg = $cfg; Block = $block; Temp = $temp; Lock = $lock; Checksum = $checksum }
        }
        $script:dead = New-DeadRun -Name backup-00000000000000d1 -AgeHours 48 -Seed 1
    }

    It 'a backup left in progress younger than -InProgressOlderThan stops garbage collection; the stale lock goes at once' {
        $r = $a | Remove-LhBackup -Force -InProgressOlderThan 30d -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $r.RemovedBackups | Should -Be @($a.Name)
        $r.GarbageCollected | Should -BeFalse
        $r.GarbageCollectionSkippedReason | Should -BeLike '*backup-00000000000000d1*in progress*'
        "$warnings" | Should -BeLike '*freed no blocks*'
        $r.LeftoversRemoved.Kind | Should -Be @('Lock')
        Test-Path -LiteralPath $dead.Lock | Should -BeFalse
        Test-Path -LiteralPath $dead.Cfg | Should -BeTrue
        Test-Path -LiteralPath $dead.Block | Should -BeTrue
    }

    It '-WhatIf removes nothing and writes no object' {
        $before = Get-TreeState $target
        $out = Repair-LhBackupVolume -VolumeName vol-fix -WhatIf
        $out | Should -BeNullOrEmpty
        Get-TreeState $target | Should -Be $before
        @(Get-ChildItem -LiteralPath $target -Recurse -Filter *.lck).Count | Should -Be 0
    }

    It 'removes the dead run''s record and temporary file, frees exactly the blocks no backup uses, and every backup restores' {
        $r = Repair-LhBackupVolume -VolumeName vol-fix -Force
        $r | Should -BeOfType ([LonghornBackup.BackupVolumeRepair])
        $r.VolumeName | Should -Be 'vol-fix'
        @($r.Removed.Kind | Sort-Object) | Should -Be @('InProgressBackup', 'TemporaryFile')
        ($r.Removed | Where-Object Kind -EQ InProgressBackup).Name | Should -Be 'backup-00000000000000d1'
        foreach ($l in $r.Removed) { $l.Age.TotalHours | Should -BeGreaterThan 47 -Because "$($l.Name) was left two days ago" }
        ($r.Removed | Where-Object Kind -EQ TemporaryFile).Size | Should -Be 1
        $r.GarbageCollected | Should -BeTrue
        $r.BlocksFreed | Should -Be 2            # the dead run's block and the old block 2 only the removed backup used
        $r.BytesFreed | Should -BeGreaterThan 4096
        $r.BlockCount | Should -Be 3
        Test-Path -LiteralPath $dead.Block | Should -BeFalse
        # The one remaining backup uses three distinct blocks, all present: exactly those are left.
        (Get-BlockNames $target).Count | Should -Be 3
        (Test-LhBackup -VolumeName vol-fix).IsHealthy | Should -BeTrue
        @(Get-ChildItem -LiteralPath $target -Recurse -File | Where-Object Name -Match '\.tmp\.|\.lck$').Count | Should -Be 0
        (Get-LhBackup -VolumeName vol-fix).Name | Should -Be $b.Name
        Assert-RestoresBitExact (Get-LhBackup -VolumeName vol-fix)
    }

    It 'Remove-LhBackup retention that removes no backup still clears a backup left in progress for days and frees its block' {
        $again = New-DeadRun -Name backup-00000000000000d2 -AgeHours 30 -Seed 2
        $r = Remove-LhBackup -VolumeName vol-fix -KeepLast 5 -Force -PassThru
        $r.RemovedBackups | Should -BeNullOrEmpty
        @($r.LeftoversRemoved.Kind | Sort-Object) | Should -Be @('InProgressBackup', 'Lock', 'TemporaryFile')
        $r.GarbageCollected | Should -BeTrue
        $r.BlocksFreed | Should -Be 1
        Test-Path -LiteralPath $again.Cfg | Should -BeFalse
        (Get-BlockNames $target).Count | Should -Be 3
        # Without anything in progress, retention that removes nothing takes no lock and writes nothing.
        $before = Get-TreeState $target
        Remove-LhBackup -VolumeName vol-fix -KeepLast 5 -Force -PassThru | Should -BeNullOrEmpty
        Get-TreeState $target | Should -Be $before
    }

    It 'refuses an -InProgressOlderThan without a unit, and a volume that does not exist, changing nothing' {
        $before = Get-TreeState $target
        { Repair-LhBackupVolume -VolumeName vol-fix -InProgressOlderThan 24 -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        $err = $null
        try { Repair-LhBackupVolume -VolumeName vol-fix -InProgressOlderThan 24 -Force -ErrorAction Stop } catch { $err = $_ }
        $err.Exception.Message | Should -BeLike '*36h*'
        Repair-LhBackupVolume -VolumeName nosuch -Force -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BackupVolumeNotFound,*'
        Get-TreeState $target | Should -Be $before
    }
}

Describe 'Test-LhBackup' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:image = Join-Path $work 'verify.img'
        New-TestImage -Path $image -SizeMiB 12 -DataBlocks 0, 1, 2
        $script:b1 = New-SavedBackup -Volume vol-ver -Snapshot ver-1 -Path $image
        Set-TestBlock -Path $image -Index 2 -Seed 777
        $script:b2 = New-SavedBackup -Volume vol-ver -Snapshot ver-2 -Path $image
        $script:other = New-SavedBackup -Volume vol-other -Snapshot other-1 -Path $image
        # Block 1 is shared by both backups of vol-ver; find its file through the block map in the cfg.
        $cfg = Get-ChildItem -LiteralPath $target -Recurse -Filter "backup_$($b1.Name).cfg" | Get-Content -Raw | ConvertFrom-Json
        $script:shared = ($cfg.Blocks | Where-Object Offset -EQ 2MB).BlockChecksum
        $script:sharedFile = (Get-ChildItem -LiteralPath $target -Recurse -Filter "$shared.blk" |
            Where-Object FullName -Like '*vol-ver*').FullName
    }

    It 'finds nothing wrong in a sound store, quick and deep, for the whole target' {
        $r = Test-LhBackup -Deep -ErrorVariable e
        $e | Should -BeNullOrEmpty
        @($r).Count | Should -Be 3
        $r | ForEach-Object { $_ | Should -BeOfType ([LonghornBackup.BackupVerification]) }
        $r | ForEach-Object { $_.State | Should -Be 'Healthy'; $_.IsHealthy | Should -BeTrue; $_.Mode | Should -Be 'Deep' }
        (Test-LhBackup -VolumeName vol-ver).Mode | Should -Be @('Quick', 'Quick')
    }

    It '-Deep finds a corrupted block, names it and the backups it breaks, and writes BackupVerificationFailed per broken backup' {
        $bytes = [IO.File]::ReadAllBytes($sharedFile)
        foreach ($i in 1000..1015) { $bytes[$i] = $bytes[$i] -bxor 0x5A }
        [IO.File]::WriteAllBytes($sharedFile, $bytes)

        $quick = Test-LhBackup -VolumeName vol-ver -ErrorVariable qe
        $quick.IsHealthy | Should -Be @($true, $true)   # the file is there: only -Deep can tell
        $qe | Should -BeNullOrEmpty

        $r = Test-LhBackup -Deep -ErrorVariable e -ErrorAction SilentlyContinue
        $broken = @($r | Where-Object { -not $_.IsHealthy })
        $broken.Name | Sort-Object | Should -Be (@($b1.Name, $b2.Name) | Sort-Object)
        $broken | ForEach-Object {
            $_.State | Should -Be 'Corrupt'
            $_.CorruptBlocks | Should -Be @($shared)
            $_.MissingBlocks | Should -BeNullOrEmpty
            $_.BrokenBlocks[0].AffectedBackups | Sort-Object | Should -Be (@($b1.Name, $b2.Name) | Sort-Object)
        }
        ($r | Where-Object VolumeName -EQ vol-other).IsHealthy | Should -BeTrue
        $e.Count | Should -Be 2
        $e | ForEach-Object {
            $_.FullyQualifiedErrorId | Should -BeLike 'BackupVerificationFailed,*'
            $_.CategoryInfo.Category | Should -Be 'InvalidData'
            $_.TargetObject | Should -BeOfType ([LonghornBackup.BackupVerification])
            $_.ErrorDetails.RecommendedAction | Should -BeLike '*-BackupMode Full*'
        }
        $e[0].Exception.Message | Should -BeLike "*$($shared.Substring(0, 12))*"
    }

    It 'checks just the piped backups, or whole piped volumes' {
        $one = $b2 | Test-LhBackup -Deep -ErrorAction SilentlyContinue
        $one.Name | Should -Be $b2.Name
        $one.State | Should -Be 'Corrupt'
        (Get-LhBackupVolume -Name vol-other | Test-LhBackup -Deep).State | Should -Be 'Healthy'
    }

    It 'a full backup of a snapshot holding the data repairs the block; then -Deep is clean and every backup restores' {
        # The image still holds block 1's data (only block 2 changed since ver-1).
        $full = New-LhBackup -VolumeName vol-ver -SnapshotName ver-3 -Path $image -BackupMode Full
        Copy-Item -LiteralPath $image -Destination (Join-Path $work 'ver-3.img') -Force
        $full.ReUploadedDataSize | Should -BeGreaterThan 0
        $r = Test-LhBackup -VolumeName vol-ver -Deep -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $r.IsHealthy | Should -Be @($true, $true, $true)
        Assert-RestoresBitExact (Get-LhBackup -VolumeName vol-ver)
    }

    It 'a deleted block file is Missing to the quick check' {
        Remove-Item -LiteralPath $sharedFile
        $r = Test-LhBackup -VolumeName vol-ver -ErrorAction SilentlyContinue
        $r.State | Should -Be @('Missing', 'Missing', 'Missing')
        $r[0].MissingBlocks | Should -Be @($shared)
    }
}

Describe 'Backups and deletions of one volume from separate processes at the same time' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:cwork = New-TestFolder 'lh-concurrency'
        New-TestImage -Path (Join-Path $cwork 'base.img') -SizeMiB 16 -DataBlocks 0, 1, 2, 3 -Seed 9
        $null = New-LhBackup -VolumeName vol-cc -SnapshotName base -Path (Join-Path $cwork 'base.img')

        # Two backup workers and one deleter, three rounds each, all starting their first round once all three are
        # ready (however long each process takes to start on a busy machine).
        $worker = Join-Path $PSScriptRoot 'LifecycleWorker.ps1'
        $workers = @(@{ Role = 'backup'; Id = 1 }, @{ Role = 'backup'; Id = 2 }, @{ Role = 'delete'; Id = 3 })
        $started = [Diagnostics.Stopwatch]::StartNew()
        $procs = foreach ($w in $workers) {
            $argList = @($pwshPre) + @('-NoProfile', '-NonInteractive', '-File', $worker,
                '-Module', $env:LONGHORNBACKUP_TEST_MODULE, '-Role', $w.Role, '-Id', $w.Id, '-Rounds', 3, '-Workers', $workers.Count,
                '-Volume', 'vol-cc', '-Work', $cwork, '-Log', (Join-Path $cwork "$($w.Role)-$($w.Id).jsonl"))
            Start-Process -FilePath $pwsh -ArgumentList $argList -PassThru -NoNewWindow `
                -RedirectStandardOutput (Join-Path $cwork "$($w.Role)-$($w.Id).out") `
                -RedirectStandardError (Join-Path $cwork "$($w.Role)-$($w.Id).err")
        }
        $script:timedOut = $false
        # Only a bound for workers that hang (a lock never released): nine operations take well under a minute on an
        # idle machine, several minutes on a busy one.
        try { $procs | Wait-Process -Timeout 900 -ErrorAction Stop } catch { $script:timedOut = $true; $procs | Stop-Process -Force -ErrorAction SilentlyContinue }
        $script:elapsed = $started.Elapsed
        $script:outcomes = @(Get-ChildItem -LiteralPath $cwork -Filter *.jsonl | Get-Content | ConvertFrom-Json)
        $script:stderr = (Get-ChildItem -LiteralPath $cwork -Filter *.err | Get-Content -Raw) -join "`n"
    }

    AfterAll {
        Remove-Item -LiteralPath $script:cwork -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'every worker ran all its rounds in bounded time, and only lock conflicts may fail an operation' {
        $timedOut | Should -BeFalse -Because "workers took $elapsed; stderr: $stderr"
        $outcomes.Count | Should -Be 9 -Because "stderr: $stderr"
        $outcomes | Where-Object { -not $_.ok -and $_.error -notlike 'LockConflict,*' } | Should -BeNullOrEmpty
        @($outcomes | Where-Object { $_.ok -and $_.op -eq 'backup' }).Count | Should -BeGreaterThan 2
        @($outcomes | Where-Object { $_.ok -and $_.op -eq 'delete' } | ForEach-Object removed).Count | Should -BeGreaterThan 0
        # The processes really worked at the same time: some operation of one ran while another's did.
        $spans = $outcomes | ForEach-Object { [pscustomobject]@{ Worker = $_.worker; From = [DateTime]$_.started; To = [DateTime]$_.ended } }
        $overlapping = @(foreach ($a in $spans) { foreach ($b in $spans) { if ($a.Worker -lt $b.Worker -and $a.From -lt $b.To -and $b.From -lt $a.To) { 1 } } })
        $overlapping.Count | Should -BeGreaterThan 0
        $conflicts = @($outcomes | Where-Object { -not $_.ok }).Count
        Write-Host "    concurrency: $($outcomes.Count) operations in $([int]$elapsed.TotalSeconds) s, $($overlapping.Count) overlapping pairs, $conflicts lock conflict(s)"
    }

    It 'leaves no lock behind and a store where Test-LhBackup -Deep finds nothing missing or corrupt' {
        Get-ChildItem -LiteralPath $target -Recurse -Filter *.lck | Should -BeNullOrEmpty
        $r = Test-LhBackup -VolumeName vol-cc -Deep -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $r | ForEach-Object { $_.State | Should -Be 'Healthy'; $_.MissingBlocks | Should -BeNullOrEmpty }
        # Removed backups are really gone; the volume points at a surviving backup.
        $removed = @($outcomes | ForEach-Object removed | Where-Object { $_ })
        (Get-LhBackup -VolumeName vol-cc).Name | Where-Object { $_ -in $removed } | Should -BeNullOrEmpty
        (Get-LhBackupVolume -Name vol-cc).LastBackupName | Should -BeIn @((Get-LhBackup -VolumeName vol-cc).Name)
    }

    It 'every surviving backup restores bit-exact to its snapshot image' {
        $survivors = @(Get-LhBackup -VolumeName vol-cc)
        $survivors.Count | Should -BeGreaterThan 0
        Assert-RestoresBitExact $survivors -ImageDir $cwork
    }
}
