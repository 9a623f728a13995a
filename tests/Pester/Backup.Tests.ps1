# The main job as a user runs it: set a target, back up incrementally and in full with labels, list, restore.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 32 -DataBlocks 0, 3, 4, 9
}

AfterAll {
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Without a backup target' {
    BeforeAll { $null = Use-IsolatedTargetSettings }

    It 'New-LhBackup fails with BackupTargetNotSet and says how to set one' {
        $err = $null
        try { New-LhBackup -VolumeName vol -SnapshotName s1 -Path $image -ErrorAction Stop }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupTargetNotSet,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*Set-LhBackupTarget*'
    }

    It 'Get-LhBackup fails with BackupTargetNotSet too' {
        { Get-LhBackup -ErrorAction Stop } | Should -Throw -ErrorId 'BackupTargetNotSet,*'
    }
}

Describe 'Set-LhBackupTarget' {
    BeforeAll {
        $script:configDir = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
    }

    It 'rejects a malformed URL with InvalidBackupTargetUrl and saves nothing' {
        { Set-LhBackupTarget -Url 'vfs://host/not-absolute' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupTargetUrl,*'
        { Set-LhBackupTarget -Url 'ftp://example/x' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupTargetUrl,*'
        Get-LhBackupTarget | Should -BeNullOrEmpty
    }

    It 'rejects a folder that does not exist' {
        { Set-LhBackupTarget -Url (Join-Path $target 'missing') -ErrorAction Stop } | Should -Throw -ErrorId 'BackupTargetUnreachable,*'
    }

    It 'saves a named target as a vfs:// URL and -WhatIf saves nothing' {
        Set-LhBackupTarget -Name other -Url $target -WhatIf
        Get-LhBackupTarget | Should -BeNullOrEmpty
        $t = Set-LhBackupTarget -Name other -Url "file://$target" -PassThru
        $t | Should -BeOfType ([LonghornBackup.BackupTarget])
        $t.Url | Should -Be "vfs://$target"
        $t.Available | Should -BeTrue
        (Get-LhBackupTarget -Name other).Url | Should -Be "vfs://$target"
    }

    It 'persists across sessions: a new pwsh process finds the target' {
        $fresh = Get-FreshPwsh; $pwsh = $fresh.Path
        [string[]] $pre = $fresh.Arguments
        $out = & $pwsh @pre -NoProfile -NonInteractive -Command "Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'; (Get-LhBackupTarget -Name other).Url"
        $out | Should -Be "vfs://$target"
    }

    It 'Remove-LhBackupTarget forgets the setting but keeps the folder' {
        Remove-LhBackupTarget -Name other -Confirm:$false
        Get-LhBackupTarget | Should -BeNullOrEmpty
        Test-Path -LiteralPath $target | Should -BeTrue
    }
}

Describe 'Backing up and restoring on a filesystem target' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:snap1 = Join-Path $work 'snap1.img'
        Copy-Item -LiteralPath $image -Destination $snap1
        $script:first = New-LhBackup -VolumeName vol-a -SnapshotName snap-1 -Path $image -Label @{ app = 'test'; tier = 'gold' }
        $script:blocksAfterFirst = @(Get-ChildItem -LiteralPath $target -Recurse -Filter *.blk).Count
        Set-TestBlock -Path $image -Index 4 -Seed 4242
        Set-TestBlock -Path $image -Index 12 -Seed 4343
        $script:second = New-LhBackup -VolumeName vol-a -SnapshotName snap-2 -Path $image -Label @{ app = 'test' }
        $script:third = New-LhBackup -VolumeName vol-a -SnapshotName snap-3 -Path $image -BackupMode Full -Label @{ app = 'test' }
    }

    It 'emits typed Backup objects with Longhorn backup names and URLs' {
        $first | Should -BeOfType ([LonghornBackup.Backup])
        $first.Name | Should -Match '^backup-[0-9a-f]{16}$'
        $first.Url | Should -Be "vfs://$($target)?backup=$($first.Name)&volume=vol-a"
        $first.State | Should -Be 'Completed'
        $first.CompressionMethod | Should -Be 'lz4'
        $first.BlockSize | Should -Be 2MB
    }

    It 'a first backup uploads every non-zero block' {
        $first.BackupMode | Should -Be 'Incremental'
        $first.Size | Should -Be (4 * 2MB)
        $first.NewlyUploadedDataSize | Should -BeGreaterThan (4 * 2MB)   # random data does not compress
        $first.ReUploadedDataSize | Should -Be 0
        $blocksAfterFirst | Should -Be 4
    }

    It 'an incremental backup uploads only the two changed blocks' {
        $second.BackupMode | Should -Be 'Incremental'
        $second.IsIncremental | Should -BeTrue
        $second.Size | Should -Be (5 * 2MB)
        $second.NewlyUploadedDataSize | Should -BeGreaterThan (2 * 2MB)
        $second.NewlyUploadedDataSize | Should -BeLessThan (3 * 2MB)
        @(Get-ChildItem -LiteralPath $target -Recurse -Filter *.blk).Count | Should -Be 6
    }

    It 'a full backup re-uploads every block and uploads nothing new when nothing changed' {
        $third.BackupMode | Should -Be 'Full'
        $third.NewlyUploadedDataSize | Should -Be 0
        $third.ReUploadedDataSize | Should -BeGreaterThan (5 * 2MB)
    }

    It 'carries labels' {
        $first.Labels['app'] | Should -Be 'test'
        $first.Labels['tier'] | Should -Be 'gold'
        (Get-LhBackup -VolumeName vol-a -Label @{ tier = 'gold' }).Name | Should -Be $first.Name
        @(Get-LhBackup -Label @{ app = 'test' }).Count | Should -Be 3
    }

    It 'lists volumes and backups, oldest first, and pipes volumes into Get-LhBackup' {
        $v = Get-LhBackupVolume -Name vol-a
        $v | Should -BeOfType ([LonghornBackup.BackupVolume])
        $v.BackupCount | Should -Be 3
        $v.LastBackupName | Should -Be $third.Name
        $v.Size | Should -Be 32MB
        (Get-LhBackupVolume | Get-LhBackup).Name | Should -Be @($first.Name, $second.Name, $third.Name)
    }

    It 'restores any backup bit-exact, from the pipeline' {
        $out = Join-Path $work 'restored-1.img'
        $result = Get-LhBackup -VolumeName vol-a -Name $first.Name | Restore-LhBackup -Path $out
        $result | Should -BeOfType ([LonghornBackup.RestoreResult])
        $result.File | Should -BeOfType ([IO.FileInfo])
        ($result.BackupName, $result.VolumeName, $result.Path) | Should -Be @($first.Name, 'vol-a', $out)
        (Get-FileHash $out).Hash | Should -Be (Get-FileHash $snap1).Hash
        $out3 = Join-Path $work 'restored-3.img'
        Restore-LhBackup -Url $third.Url -Path $out3 | Out-Null
        (Get-FileHash $out3).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'refuses to overwrite without -Force, and overwrites with it' {
        $out = Join-Path $work 'restored-again.img'
        Set-Content -LiteralPath $out -Value 'keep me'
        { $second | Restore-LhBackup -Path $out -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetExists,*'
        Get-Content -LiteralPath $out | Should -Be 'keep me'
        $second | Restore-LhBackup -Path $out -Force | Out-Null
        (Get-Item $out).Length | Should -Be 32MB
    }

    It 'reports a missing backup by name with BackupNotFound' {
        Get-LhBackup -VolumeName vol-a -Name backup-0000000000000000 -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Bad input changes nothing' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $null = New-LhBackup -VolumeName vol-b -SnapshotName s1 -Path $image
        $script:before = Get-TreeState $target
    }

    It 'an invalid label key is rejected with InvalidLabel' {
        { New-LhBackup -VolumeName vol-b -SnapshotName s2 -Path $image -Label @{ 'bad key!' = 'x' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidLabel,*'
        Get-TreeState $target | Should -Be $before
    }

    It 'an invalid label value is rejected with InvalidLabel' {
        { New-LhBackup -VolumeName vol-b -SnapshotName s2 -Path $image -Label @{ app = 'no spaces allowed' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidLabel,*'
        Get-TreeState $target | Should -Be $before
    }

    It 'a volume name with ../ is rejected with InvalidName' {
        { New-LhBackup -VolumeName '../escape' -SnapshotName s2 -Path $image -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidName,*'
        Get-TreeState $target | Should -Be $before
        Test-Path -LiteralPath (Join-Path (Split-Path $target) 'escape') | Should -BeFalse
    }

    It 'a missing snapshot image is rejected with SnapshotNotFound' {
        $err = $null
        try { New-LhBackup -VolumeName vol-b -SnapshotName s2 -Path (Join-Path $work 'nope.img') -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'SnapshotNotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-TreeState $target | Should -Be $before
    }

    It 'an unsupported block size is rejected with InvalidBlockSize' {
        { New-LhBackup -VolumeName vol-c -SnapshotName s2 -Path $image -BlockSize 4MB -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBlockSize,*'
        Get-TreeState $target | Should -Be $before
    }
}

Describe 'The Longhorn fixture store' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:fixture = Join-Path $PSScriptRoot '../fixtures/longhorn-backupstore'
        $script:manifest = Get-Content -Raw (Join-Path $fixture 'manifest.json') | ConvertFrom-Json
        $script:copy = New-TestFolder 'lh-fixture'
        Copy-Item -Path (Join-Path $fixture 'backupstore') -Destination $copy -Recurse
        Set-LhBackupTarget -Name longhorn -Url $copy
        $script:listed = Get-LhBackup -Target longhorn
    }

    It 'lists every backup Longhorn wrote, with its mode, labels and sizes' {
        @($listed).Count | Should -Be $manifest.backups.Count
        foreach ($m in $manifest.backups) {
            $b = $listed | Where-Object Name -EQ $m.backup
            $b.VolumeName | Should -Be $m.volume
            $b.SnapshotName | Should -Be $m.snapshot
            $b.BackupMode | Should -Be ($m.mode.Substring(0, 1).ToUpper() + $m.mode.Substring(1))
            $b.CompressionMethod | Should -Be $m.compression
            $b.Size | Should -Be ([long]$m.Size)
            $b.NewlyUploadedDataSize | Should -Be ([long]$m.NewlyUploadedDataSize)
            $b.ReUploadedDataSize | Should -Be ([long]$m.ReUploadedDataSize)
            foreach ($p in $m.labels.PSObject.Properties) { $b.Labels[$p.Name] | Should -Be $p.Value }
        }
    }

    It 'restores every backup to the image Longhorn restores' {
        foreach ($m in $manifest.backups) {
            $out = Join-Path $work "fixture-$($m.backup).img"
            $null = $listed | Where-Object Name -EQ $m.backup | Restore-LhBackup -Path $out
            (Get-FileHash -Algorithm SHA256 $out).Hash.ToLower() | Should -Be $m.image_sha256
        }
    }
}

Describe 'New-LhBackup -WhatIf is a dry run' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:img = Join-Path $work 'whatif.img'
        New-TestImage -Path $img -SizeMiB 16 -DataBlocks 0, 1, 5 -Seed 9
        $null = New-LhBackup -VolumeName vol-w -SnapshotName s1 -Path $img
        Set-TestBlock -Path $img -Index 1 -Seed 99
        Set-TestBlock -Path $img -Index 7 -Seed 98
    }

    It 'changes nothing on disk and reports exactly what the real run then uploads' {
        $before = Get-TreeState $target
        $plan = New-LhBackup -VolumeName vol-w -SnapshotName s2 -Path $img -WhatIf
        Get-TreeState $target | Should -Be $before
        $plan | Should -BeOfType ([LonghornBackup.BackupPlan])
        $plan.BlocksToUpload | Should -Be 2
        $real = New-LhBackup -VolumeName vol-w -SnapshotName s2 -Path $img
        $real.NewlyUploadedDataSize | Should -Be $plan.NewlyUploadedDataSize
        $real.ReUploadedDataSize | Should -Be $plan.ReUploadedDataSize
        $real.Size | Should -Be $plan.Size
    }

    It 'plans a full backup as re-uploading every block' {
        $plan = New-LhBackup -VolumeName vol-w -SnapshotName s3 -Path $img -BackupMode Full -WhatIf
        $plan.NewlyUploadedDataSize | Should -Be 0
        $plan.BlocksToUpload | Should -Be 4
        $plan.ReUploadedDataSize | Should -BeGreaterThan (4 * 2MB)
    }
}

Describe 'Piping image files into New-LhBackup' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
    }

    It 'binds the file as -Path and keeps the default target' {
        $b = Get-Item -LiteralPath $image | New-LhBackup -VolumeName piped -SnapshotName s1
        $b.VolumeName | Should -Be 'piped'
        $b.Target | Should -Be 'default'
    }
}
