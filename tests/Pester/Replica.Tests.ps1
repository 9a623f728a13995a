# Longhorn replica directories: list snapshots, export one, back them up by name with snapshot-diff incrementals.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target

    # A replica as Longhorn's engine leaves it: sparse layers, .img.meta files linking them, volume.meta. Alongside,
    # flat images of each snapshot written from the same data (the expected views).
    $script:replica = Join-Path $work 'pvc-rep-0a1b2c3d'
    $null = New-Item -ItemType Directory -Path $replica
    function Write-Layer([string] $File, [long] $Offset, [byte[]] $Data) {
        $fs = [IO.File]::Open($File, [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::Write)
        try { if ($fs.Length -lt 16MB) { $fs.SetLength(16MB) }; $fs.Position = $Offset; $fs.Write($Data, 0, $Data.Length) } finally { $fs.Dispose() }
    }
    function Get-Block([int] $Seed) { $b = [byte[]]::new(2MB); [Random]::new($Seed).NextBytes($b); , $b }
    function Write-Meta([string] $Layer, [string] $Parent, [string] $Created) {
        @{ Name = $Layer; Parent = $Parent; Removed = $false; UserCreated = $true; Created = $Created; Labels = $null } |
            ConvertTo-Json | Set-Content -LiteralPath (Join-Path $replica "$Layer.meta")
    }
    $s1 = Join-Path $replica 'volume-snap-s1.img'; $s2 = Join-Path $replica 'volume-snap-s2.img'; $head = Join-Path $replica 'volume-head-002.img'
    Write-Layer $s1 0 (Get-Block 1); Write-Layer $s1 (3 * 2MB) (Get-Block 3)
    Write-Layer $s2 (5 * 2MB) (Get-Block 5); Write-Layer $s2 (3 * 2MB) ([byte[]]::new(2MB))   # allocated zeros hide s1's block 3
    Write-Layer $head (7 * 2MB) (Get-Block 7)
    # Snapshots taken days apart (s2 with a zone offset), long before the backups.
    Write-Meta 'volume-snap-s1.img' '' '2026-12-01T10:00:00Z'; Write-Meta 'volume-snap-s2.img' 'volume-snap-s1.img' '2026-12-02T11:30:00+01:00'
    Write-Meta 'volume-head-002.img' 'volume-snap-s2.img' '2026-12-02T10:30:00Z'
    @{ Size = 16MB; Head = 'volume-head-002.img'; Dirty = $true; Rebuilding = $false; Error = ''; Parent = 'volume-snap-s2.img'
       SectorSize = 512; BackingFilePath = ''; Encrypted = $false } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $replica 'volume.meta')

    $script:expected1 = Join-Path $work 'expected-s1.img'; $script:expected2 = Join-Path $work 'expected-s2.img'
    Write-Layer $expected1 0 (Get-Block 1); Write-Layer $expected1 (3 * 2MB) (Get-Block 3)
    Write-Layer $expected2 0 (Get-Block 1); Write-Layer $expected2 (5 * 2MB) (Get-Block 5)
    function Get-Sha([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }
}

AfterAll {
    Remove-Item -LiteralPath $script:work, $script:target -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-LhSnapshot' {
    It 'lists the chain from the base to the head as typed objects' {
        $snapshots = @(Get-LhSnapshot -ReplicaPath $replica)
        $snapshots[0] | Should -BeOfType ([LonghornBackup.Snapshot])
        $snapshots.Name | Should -Be @('s1', 's2', 'volume-head')
        $snapshots.Parent | Should -Be @('', 's1', 's2')
        $snapshots[-1].IsHead | Should -BeTrue
        $snapshots[0].AllocatedSize | Should -Be 4MB
        $snapshots[0].VolumeName | Should -Be 'pvc-rep'
        ($snapshots | Format-Table | Out-String) | Should -Match 's2\s+s1'
    }

    It 'fails with ReplicaNotFound for a folder that is not a replica' {
        { Get-LhSnapshot -ReplicaPath $work -ErrorAction Stop } | Should -Throw -ErrorId 'ReplicaNotFound,*'
    }

    It 'completes -SnapshotName from the replica' {
        $line = "New-LhBackup -ReplicaPath '$replica' -SnapshotName s"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('s1', 's2')
        Push-Location -LiteralPath $work
        try {
            $line = 'Export-LhSnapshot -ReplicaPath ./pvc-rep-0a1b2c3d -SnapshotName '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('s1', 's2', 'volume-head')
        }
        finally { Pop-Location }
    }
}

Describe 'Export-LhSnapshot' {
    It 'writes the snapshot''s merged view as a sparse image' {
        $out = Join-Path $work 'export-s2.img'
        $file = Export-LhSnapshot -ReplicaPath $replica -SnapshotName s2 -Path $out
        $file.FullName | Should -Be $out
        Get-Sha $out | Should -Be (Get-Sha $expected2)
    }

    It 'fails with SnapshotNotFound naming the snapshots there are' {
        $err = $null
        try { Export-LhSnapshot -ReplicaPath $replica -SnapshotName nope -Path (Join-Path $work 'x.img') -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'SnapshotNotFound,*'
        "$err" | Should -BeLike '*s1, s2*'
    }
}

Describe 'New-LhBackup -ReplicaPath' {
    It 'backs up a snapshot by name, the volume named after the replica directory, dated when the snapshot was taken' {
        $script:b1 = New-LhBackup -ReplicaPath $replica -SnapshotName s1
        $b1.VolumeName | Should -Be 'pvc-rep'
        $b1.SnapshotCreatedAt | Should -Be ([datetime]::new(2026, 12, 1, 10, 0, 0, [DateTimeKind]::Utc))
        $b1.Run.ChangedSinceSnapshot | Should -BeNullOrEmpty
        $b1.Run.BytesRead | Should -Be 4MB
    }

    It 'reads only what changed since the last backup''s snapshot, and the backup restores exactly' {
        $b2 = Get-LhSnapshot -ReplicaPath $replica -Name s2 | New-LhBackup
        $b2.Run.ChangedSinceSnapshot | Should -Be 's1'
        $b2.Run.BlocksChanged | Should -Be 2
        $b2.Run.BytesRead | Should -Be 4MB
        $b2.IsIncremental | Should -BeTrue
        $out = Join-Path $work 'restored-s2.img'
        $null = $b2 | Restore-LhBackup -Path $out
        Get-Sha $out | Should -Be (Get-Sha $expected2)
        $out1 = Join-Path $work 'restored-s1.img'
        $null = $b1 | Restore-LhBackup -Path $out1
        Get-Sha $out1 | Should -Be (Get-Sha $expected1)
    }

    It 'applies a Longhorn Backup manifest with spec.snapshotName resolved in the replica' {
        $yaml = "apiVersion: longhorn.io/v1beta2`nkind: Backup`nmetadata:`n  name: backup-from-manifest`nspec:`n  snapshotName: s2`n"
        $b = $yaml | New-LhBackup -ReplicaPath $replica -VolumeName pvc-rep-manifest
        $b.SnapshotName | Should -Be 's2'
        $out = Join-Path $work 'restored-manifest.img'
        $null = $b | Restore-LhBackup -Path $out
        Get-Sha $out | Should -Be (Get-Sha $expected2)
    }

    It 'takes the volume from the replica directory''s name with a manifest too, and lists backups by their snapshots'' times' {
        $yaml = "apiVersion: longhorn.io/v1beta2`nkind: Backup`nmetadata:`n  name: backup-of-s1-again`nspec:`n  snapshotName: s1`n"
        $b = $yaml | New-LhBackup -ReplicaPath $replica
        $b.VolumeName | Should -Be 'pvc-rep'
        $b.SnapshotCreatedAt | Should -Be ([datetime]::new(2026, 12, 1, 10, 0, 0, [DateTimeKind]::Utc))
        # Backed up after s2's backup, it is still older: s1 was taken a day before s2.
        (Get-LhBackup -VolumeName pvc-rep).SnapshotName | Should -Be 's1', 's1', 's2'
        (Get-LhBackup -VolumeName pvc-rep -Latest 1).SnapshotCreatedAt | Should -Be ([datetime]::new(2026, 12, 2, 10, 30, 0, [DateTimeKind]::Utc))
    }

    It 'warns when the live head is read' {
        $w = $null
        $null = New-LhBackup -ReplicaPath $replica -SnapshotName volume-head -VolumeName pvc-rep-head -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -BeLike '*live, writable layer*'
    }
}
