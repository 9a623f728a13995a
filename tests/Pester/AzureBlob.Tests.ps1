# Azure Blob targets as a Longhorn administrator sets them up, against Azurite on 127.0.0.1: a BackupTarget manifest
# and its credential Secret applied unchanged, then backup, incremental backup, restore, delete with garbage
# collection and a deep check through it; bad azblob:// input that saves nothing; the key in no output or settings.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'AzuriteTestServer.psm1') -Force

    $script:azVariables = 'AZBLOB_ACCOUNT_NAME', 'AZBLOB_ACCOUNT_KEY', 'AZBLOB_ENDPOINT', 'AZBLOB_CERT', 'AZBLOB_SAS_TOKEN',
        'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'
    $script:savedEnv = @{}
    foreach ($v in $azVariables) { $savedEnv[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }

    $script:azurite = Start-TestAzurite
    New-TestAzuriteContainer -Server $azurite -Name 'lhb-pester'
    $script:configDir = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 2

    # Longhorn's own manifest and Secret for an Azurite target, as an administrator keeps them.
    $script:manifest = Join-Path $work 'azurite-target.yaml'
    Set-Content -LiteralPath $manifest -Value @"
apiVersion: longhorn.io/v1beta2
kind: BackupTarget
metadata:
  name: azurite
  namespace: longhorn-system
spec:
  backupTargetURL: azblob://lhb-pester@core.windows.net/longhorn/
  credentialSecret: azblob-secret
  pollInterval: 5m0s
---
apiVersion: v1
kind: Secret
metadata:
  name: azblob-secret
  namespace: longhorn-system
type: Opaque
stringData:
  AZBLOB_ACCOUNT_NAME: $($azurite.Account)
  AZBLOB_ACCOUNT_KEY: $($azurite.Key)
  AZBLOB_ENDPOINT: $($azurite.Endpoint)
"@
}

AfterAll {
    Stop-TestAzurite -Server $script:azurite
    foreach ($v in $script:azVariables) { [Environment]::SetEnvironmentVariable($v, $script:savedEnv[$v]) }
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An Azure Blob target from a Longhorn BackupTarget manifest' {
    BeforeAll {
        $script:target = Set-LhBackupTarget -Manifest $manifest -PassThru
        $script:first = New-LhBackup -Target azurite -VolumeName pvc-az -SnapshotName snap-1 -Path $image
        $script:firstHash = (Get-FileHash $image).Hash
        Set-TestBlock -Path $image -Index 3 -Seed 91
        $script:second = New-LhBackup -Target azurite -VolumeName pvc-az -SnapshotName snap-2 -Path $image
    }

    It 'applies unchanged and is available' {
        $target.Kind | Should -Be 'AzureBlob'
        $target.Url | Should -Be 'azblob://lhb-pester@core.windows.net/longhorn/'
        $target.CredentialSecret | Should -Be 'azblob-secret'
        $target.Available | Should -BeTrue
    }

    It 'backs up incrementally with Longhorn backup URLs' {
        $first.Url | Should -Be "azblob://lhb-pester@core.windows.net/longhorn/?backup=$($first.Name)&volume=pvc-az"
        $second.IsIncremental | Should -BeTrue
        $second.NewlyUploadedDataSize | Should -BeGreaterThan 2MB
        $second.NewlyUploadedDataSize | Should -BeLessThan (2 * 2MB)
    }

    It 'restores each backup bit-exact' {
        $out1 = Join-Path $work 'az-1.img'
        $first | Restore-LhBackup -Path $out1 | Out-Null
        (Get-FileHash $out1).Hash | Should -Be $firstHash
        $out2 = Join-Path $work 'az-2.img'
        Restore-LhBackup -Url $second.Url -Path $out2 | Out-Null
        (Get-FileHash $out2).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'passes a deep check, then deletes the second backup and frees only the block no other backup uses' {
        $checks = Test-LhBackup -Target azurite -VolumeName pvc-az -Deep
        $checks.IsHealthy | Should -Be @($true, $true)
        $removed = Remove-LhBackup -Target azurite -VolumeName pvc-az -Name $second.Name -Force -PassThru
        $removed.RemovedBackups | Should -Be @($second.Name)
        $removed.GarbageCollected | Should -BeTrue
        $removed.BlocksFreed | Should -Be 1
        (Get-LhBackup -Target azurite -VolumeName pvc-az).Name | Should -Be $first.Name
        (Test-LhBackup -Target azurite -VolumeName pvc-az -Deep).IsHealthy | Should -BeTrue
    }

    It 'keeps the key out of targets.json and out of every output stream' {
        Get-ChildItem -LiteralPath $configDir -Recurse -File | ForEach-Object {
            Get-Content -LiteralPath $_.FullName -Raw | Should -Not -Match ([regex]::Escape($azurite.Key))
        }
        $all = (Test-LhBackupTarget -Name azurite -Verbose -Debug *>&1 | Out-String -Width 4096)
        $all | Should -Not -Match ([regex]::Escape($azurite.Key))
    }
}

Describe 'An Azure Blob target with keys given to Set-LhBackupTarget' {
    BeforeAll {
        $script:key = ConvertTo-SecureString $azurite.Key -AsPlainText -Force
        $script:keyed = Set-LhBackupTarget -Name azkeys -Url 'azblob://lhb-pester/keys/' -EndpointUrl $azurite.Endpoint -AccountName $azurite.Account -AccountKey $key -PassThru
        $script:secretFile = Join-Path $configDir 'credentials/azkeys.azblob-secret.yaml'
    }

    It 'is available, and backs up and restores' {
        $keyed.Kind | Should -Be 'AzureBlob'
        $keyed.EndpointUrl | Should -Be $azurite.Endpoint
        $keyed.CredentialSecretFile | Should -Be $secretFile
        $keyed.Available | Should -BeTrue
        $b = New-LhBackup -Target azkeys -VolumeName pvc-keys -SnapshotName s1 -Path $image
        $out = Join-Path $work 'keys.img'
        $b | Restore-LhBackup -Path $out | Out-Null
        (Get-FileHash $out).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'keeps the key in a Secret file readable by its owner only, never in targets.json' {
        Get-Content -Raw (Join-Path $configDir 'targets.json') | Should -Not -Match ([regex]::Escape($azurite.Key))
        Get-Content -Raw $secretFile | Should -Match 'AZBLOB_ACCOUNT_KEY'
        if (-not $IsWindows) { (Get-Item $secretFile).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'removes that file with the target' {
        Remove-LhBackupTarget -Name azkeys -Confirm:$false
        Test-Path -LiteralPath $secretFile | Should -BeFalse
    }
}

Describe 'Bad Azure Blob input saves nothing' {
    BeforeAll {
        $script:before = if (Test-Path (Join-Path $configDir 'targets.json')) { Get-Content -Raw (Join-Path $configDir 'targets.json') }
    }

    It 'rejects <Url> with InvalidBackupTargetUrl' -ForEach @(
        @{ Url = 'azblob://lhb-pester@core.windows.net' }
        @{ Url = 'azblob:///prefix/' }
        @{ Url = 'azblob://lhb-pester/a/../b/' }
        @{ Url = 'azblob://Bad_Container/p/' }
    ) {
        { Set-LhBackupTarget -Name bad -Url $Url -EndpointUrl $azurite.Endpoint -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupTargetUrl,*'
        Get-LhBackupTarget -Name bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'rejects a manifest whose Secret has only half a key pair, and saves nothing' {
        $half = Join-Path $work 'half.yaml'
        (Get-Content -Raw $manifest) -replace '(?m)^  AZBLOB_ACCOUNT_KEY:.*\r?\n', '' -replace 'name: azurite', 'name: half' | Set-Content -LiteralPath $half
        $err = $null
        try { Set-LhBackupTarget -Manifest $half -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidManifest,*'
        "$err" | Should -Match 'lacks AZBLOB_ACCOUNT_KEY'
        Get-LhBackupTarget -Name half -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses half a key pair, a key that is not base64 and S3 options, with InvalidTargetSetting' {
        $k = ConvertTo-SecureString $azurite.Key -AsPlainText -Force
        { Set-LhBackupTarget -Name bad -Url 'azblob://lhb-pester/p/' -AccountKey $k -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 'azblob://lhb-pester/p/' -Credential ([pscredential]::new('devstoreaccount1', [securestring]::new())) -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 'azblob://lhb-pester/p/' -AccountName devstoreaccount1 -AccountKey (ConvertTo-SecureString 'not base64!' -AsPlainText -Force) -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 'azblob://lhb-pester/p/' -Region us-east-1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 's3://bucket/p/' -AccountName devstoreaccount1 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        Test-Path -LiteralPath (Join-Path $configDir 'credentials/bad.azblob-secret.yaml') | Should -BeFalse
    }

    It 'left targets.json as it was' {
        $now = if (Test-Path (Join-Path $configDir 'targets.json')) { Get-Content -Raw (Join-Path $configDir 'targets.json') }
        $now | Should -Be $before
    }
}
