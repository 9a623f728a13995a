# NFS and CIFS targets as a Longhorn administrator sets them up. This machine's kernel has no NFS or CIFS client, so
# the export "is mounted" in a mount table the test writes ($env:LONGHORNBACKUP_MOUNTINFO, same format as
# /proc/self/mountinfo) at a test folder: the module finds it there by its source, exactly as on a real machine, and
# backs up, restores, checks and deletes through it. Mounting itself is tried for real and must fail clearly here.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:savedEnv = @{}
    foreach ($v in 'LONGHORNBACKUP_MOUNTINFO', 'CIFS_USERNAME', 'CIFS_PASSWORD') { $savedEnv[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    $script:configDir = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 2

    # The administrator mounted nas.example:/srv/longhorn at a folder of their choosing (a space in its name, as
    # mountinfo escapes it), and the target names a folder below the export.
    $script:mountPoint = Join-Path $work 'nas mount'
    $script:storeFolder = (New-Item -ItemType Directory -Path (Join-Path $mountPoint 'cluster-a')).FullName
    $script:cifsMount = (New-Item -ItemType Directory -Path (Join-Path $work 'smb')).FullName
    $script:mountInfo = Join-Path $work 'mountinfo'
    $escaped = $mountPoint -replace ' ', '\040'
    Set-Content -LiteralPath $mountInfo -Value @(
        '22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw'
        "95 22 0:52 / $escaped rw,relatime shared:40 - nfs4 nas.example:/srv/longhorn rw,vers=4.1,soft,timeo=300"
        "96 22 0:53 / $($cifsMount) rw,relatime shared:41 - cifs //Files.Corp/Longhorn rw,vers=3.1.1,cache=strict,soft"
    )
    $env:LONGHORNBACKUP_MOUNTINFO = $mountInfo

    $script:manifest = Join-Path $work 'nfs-target.yaml'
    Set-Content -LiteralPath $manifest -Value @'
apiVersion: longhorn.io/v1beta2
kind: BackupTarget
metadata:
  name: nas
  namespace: longhorn-system
spec:
  backupTargetURL: nfs://nas.example:/srv/longhorn/cluster-a?nfsOptions=soft,timeo=300
  credentialSecret: ""
  pollInterval: 5m0s
'@
}

AfterAll {
    foreach ($v in $script:savedEnv.Keys) { [Environment]::SetEnvironmentVariable($v, $script:savedEnv[$v]) }
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An NFS target from a Longhorn BackupTarget manifest, its export mounted by the administrator' {
    BeforeAll {
        $script:target = Set-LhBackupTarget -Manifest $manifest -PassThru
        $script:first = New-LhBackup -Target nas -VolumeName pvc-nfs -SnapshotName snap-1 -Path $image
        $script:firstHash = (Get-FileHash $image).Hash
        Set-TestBlock -Path $image -Index 3 -Seed 93
        $script:second = New-LhBackup -Target nas -VolumeName pvc-nfs -SnapshotName snap-2 -Path $image
    }

    It 'applies unchanged, shows the export, where it is mounted and by whom, and is available' {
        $target.Kind | Should -Be 'NFS'
        $target.Url | Should -Be 'nfs://nas.example:/srv/longhorn/cluster-a?nfsOptions=soft,timeo=300'
        $target.Export | Should -Be 'nas.example:/srv/longhorn/cluster-a'
        $target.MountPoint | Should -Be $mountPoint
        $target.MountedBy | Should -Be 'System'
        $target.MountOptions | Should -Match 'vers=4\.1'
        $target.Available | Should -BeTrue
        (Get-LhBackupTarget -Name nas | Format-List | Out-String) | Should -Match 'MountedBy\s*:\s*System'
    }

    It 'writes Longhorn''s layout into the mounted folder, with Longhorn backup URLs that keep the options' {
        $first.Url | Should -Be "nfs://nas.example:/srv/longhorn/cluster-a?backup=$($first.Name)&nfsOptions=soft%2Ctimeo%3D300&volume=pvc-nfs"
        Get-ChildItem -LiteralPath (Join-Path $storeFolder 'backupstore/volumes') -Recurse -Filter 'volume.cfg' | Should -HaveCount 1
        $second.IsIncremental | Should -BeTrue
        $second.NewlyUploadedDataSize | Should -BeGreaterThan 0
    }

    It 'restores each backup bit-exact, by name and by URL' {
        $out1 = Join-Path $work 'nfs-1.img'
        $first | Restore-LhBackup -Path $out1 | Out-Null
        (Get-FileHash $out1).Hash | Should -Be $firstHash
        $out2 = Join-Path $work 'nfs-2.img'
        Restore-LhBackup -Url $second.Url -Path $out2 | Out-Null
        (Get-FileHash $out2).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'refuses to restore into the mounted store' {
        { $first | Restore-LhBackup -Path (Join-Path $storeFolder 'inside.img') -ErrorAction Stop } | Should -Throw -ErrorId 'RestoreTargetInsideStore,*'
    }

    It 'passes Test-LhBackupTarget and a deep check, then deletes a backup with garbage collection' {
        $test = Test-LhBackupTarget -Name nas
        $test.Available | Should -BeTrue
        $test.MountedBy | Should -Be 'System'
        (Test-LhBackup -Target nas -VolumeName pvc-nfs -Deep).IsHealthy | Should -Be @($true, $true)
        $removed = Get-LhBackup -Target nas -VolumeName pvc-nfs -Name $second.Name | Remove-LhBackup -Force -PassThru
        $removed.GarbageCollected | Should -BeTrue
        (Get-LhBackup -Target nas -VolumeName pvc-nfs).Name | Should -Be $first.Name
    }

    It 'never unmounts an export it did not mount, and keeps the target' {
        $warnings = Dismount-LhBackupTarget -Name nas 3>&1
        "$warnings" | Should -Match 'did not mount it'
        (Get-LhBackupTarget -Name nas).MountedBy | Should -Be 'System'
        Remove-LhBackupTarget -Name nas -Confirm:$false
        Test-Path -LiteralPath $storeFolder | Should -BeTrue
    }
}

Describe 'An NFS export that is not mounted' {
    BeforeAll {
        # A port nothing listens on; the export name is unique, so its Longhorn mount point is too.
        $script:export = "/lhb-pester-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:url = "nfs://127.0.0.1:$export"
        $script:expectedMountPoint = "/var/lib/longhorn-backupstore-mounts/127_0_0_1$export"
        $script:isRoot = $IsLinux -and ((& id -u) -eq '0')
        $script:saved = Set-LhBackupTarget -Name unmounted -Url $url -PassThru -WarningVariable setWarnings -WarningAction SilentlyContinue
    }

    It 'is saved, shown as not mounted, with Longhorn''s mount point and options, and not available' {
        $saved.Kind | Should -Be 'NFS'
        $saved.Available | Should -BeFalse
        $saved.MountedBy | Should -Be 'NotMounted'
        $saved.MountPoint | Should -Be $expectedMountPoint
        $saved.MountOptions | Should -Be 'nfsvers=4.2,actimeo=1,soft,timeo=300,retry=2'
        "$setWarnings" | Should -Match 'cannot be used now'
    }

    It 'fails a backup with a clear error that names the mount commands, and leaves no mount point behind' {
        $err = $null
        try { New-LhBackup -Target unmounted -VolumeName pvc-x -SnapshotName s1 -Path $image -ErrorAction Stop } catch { $err = $_ }
        if ($isRoot) {
            # Root on Linux: the module mounted as Longhorn does, nfsvers 4.2, 4.1, 4.0; this kernel has no NFS client.
            $err.FullyQualifiedErrorId | Should -BeLike 'MountFailed,*'
            "$err" | Should -Match ([regex]::Escape("mount -t nfs4 -o nfsvers=4.2,actimeo=1,soft,timeo=300,retry=2 127.0.0.1:$export $expectedMountPoint"))
            "$err" | Should -Match 'nfsvers=4\.0'
            $err.ErrorDetails.RecommendedAction + $err.CategoryInfo.Reason | Should -Not -BeNullOrEmpty
        }
        else {
            $err.FullyQualifiedErrorId | Should -BeLike 'BackupTargetNotMounted,*'
            $err.ErrorDetails.RecommendedAction | Should -Match 'mount -t nfs4'
        }
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        Test-Path -LiteralPath $expectedMountPoint | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $configDir 'mounts.json') | Should -BeFalse
    }

    It 'says so in Test-LhBackupTarget' {
        $test = Test-LhBackupTarget -Name unmounted
        $test.Available | Should -BeFalse
        $test.ErrorId | Should -BeIn 'MountFailed', 'BackupTargetNotMounted'
        $test.MountedBy | Should -Be 'NotMounted'
    }
}

Describe 'A CIFS target from a Longhorn BackupTarget manifest and its Secret, the share mounted by the administrator' {
    BeforeAll {
        $script:cifsManifest = Join-Path $work 'cifs-target.yaml'
        Set-Content -LiteralPath $cifsManifest -Value @'
apiVersion: longhorn.io/v1beta2
kind: BackupTarget
metadata:
  name: fileserver
  namespace: longhorn-system
spec:
  backupTargetURL: cifs://files.corp/longhorn
  credentialSecret: cifs-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: cifs-secret
  namespace: longhorn-system
type: Opaque
stringData:
  CIFS_USERNAME: longhorn
  CIFS_PASSWORD: Secret-From-Manifest-1
'@
        $script:smb = Set-LhBackupTarget -Manifest $cifsManifest -PassThru
    }

    It 'applies unchanged and is found mounted (share names compare case-insensitively)' {
        $smb.Kind | Should -Be 'CIFS'
        $smb.Url | Should -Be 'cifs://files.corp/longhorn'
        $smb.MountPoint | Should -Be $cifsMount
        $smb.MountedBy | Should -Be 'System'
        $smb.KeySource | Should -Match "CIFS_USERNAME of the Secret 'cifs-secret'"
        $smb.Available | Should -BeTrue
    }

    It 'backs up and restores bit-exact through it, and shows no password anywhere' {
        $b = New-LhBackup -Target fileserver -VolumeName pvc-smb -SnapshotName s1 -Path $image
        Test-Path -LiteralPath (Join-Path $cifsMount 'backupstore/volumes') | Should -BeTrue
        $out = Join-Path $work 'smb.img'
        $b | Restore-LhBackup -Path $out | Out-Null
        (Get-FileHash $out).Hash | Should -Be (Get-FileHash $image).Hash
        (Get-LhBackupTarget -Name fileserver | Format-List * | Out-String -Width 4096) | Should -Not -Match 'Secret-From-Manifest-1'
        Get-Content -Raw (Join-Path $configDir 'targets.json') | Should -Not -Match 'Secret-From-Manifest-1'
    }
}

Describe 'CIFS credentials' {
    BeforeAll {
        $script:password = 'Pa55,word=with"quote'
        $script:cifs = Set-LhBackupTarget -Name smb -Url 'cifs://other-files.corp/longhorn/a?cifsOptions=vers=3.0,domain=CORP' `
            -Credential ([pscredential]::new('backup-user', (ConvertTo-SecureString $password -AsPlainText -Force))) -PassThru -WarningAction SilentlyContinue
        $script:secretFile = Join-Path $configDir 'credentials/smb.cifs-secret.yaml'
    }

    It 'keeps -Credential in an owner-only Secret file, never in targets.json or any output' {
        $cifs.Kind | Should -Be 'CIFS'
        $cifs.Export | Should -Be '//other-files.corp/longhorn/a'
        $cifs.MountOptions | Should -Be 'vers=3.0,domain=CORP'
        $cifs.KeySource | Should -Match 'CIFS_USERNAME of the Secret'
        Get-Content -Raw $secretFile | Should -Match 'CIFS_PASSWORD'
        if (-not $IsWindows) { (Get-Item $secretFile).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
        Get-Content -Raw (Join-Path $configDir 'targets.json') | Should -Not -Match ([regex]::Escape($password))
        (Test-LhBackupTarget -Name smb -Verbose -Debug *>&1 | Out-String -Width 4096) | Should -Not -Match ([regex]::Escape($password))
    }

    It 'removes that file with the target' {
        Remove-LhBackupTarget -Name smb -Confirm:$false
        Test-Path -LiteralPath $secretFile | Should -BeFalse
    }

    It 'refuses a manifest whose Secret has only CIFS_USERNAME, and saves nothing' {
        $half = Join-Path $work 'cifs-half.yaml'
        Set-Content -LiteralPath $half -Value @'
apiVersion: longhorn.io/v1beta2
kind: BackupTarget
metadata:
  name: halfcifs
spec:
  backupTargetURL: cifs://files.corp/longhorn
  credentialSecret: cifs-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: cifs-secret
stringData:
  CIFS_USERNAME: backup-user
'@
        $err = $null
        try { Set-LhBackupTarget -Manifest $half -ErrorAction Stop } catch { $err = $_ }
        "$err" | Should -Match 'CIFS_USERNAME but not CIFS_PASSWORD'
        Get-LhBackupTarget -Name halfcifs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'Bad NFS and CIFS URLs save nothing' {
    BeforeAll { $script:before = Get-Content -Raw (Join-Path $configDir 'targets.json') -ErrorAction SilentlyContinue }

    It 'rejects <Url> with InvalidBackupTargetUrl' -ForEach @(
        @{ Url = 'nfs://nas.example/srv/longhorn' }
        @{ Url = 'nfs://nas.example:' }
        @{ Url = 'nfs://nas.example:/srv/../etc' }
        @{ Url = 'nfs://nas.example:/srv?nfsOptions=sec="krb5"' }
        @{ Url = 'nfs://nas.example:/srv?nfsOptions=soft,,timeo=1' }
        @{ Url = 'cifs://files.corp' }
        @{ Url = "cifs://files.corp/share?cifsOptions=password=hunter2" }
    ) {
        $err = $null
        try { Set-LhBackupTarget -Name bad -Url $Url -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidBackupTargetUrl,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$err" | Should -Not -Match 'hunter2'
        Get-LhBackupTarget -Name bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'left targets.json as it was' {
        Get-Content -Raw (Join-Path $configDir 'targets.json') -ErrorAction SilentlyContinue | Should -Be $before
    }
}
