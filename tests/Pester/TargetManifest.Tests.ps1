# Longhorn BackupTarget manifests and their credential Secret (issue 5), applied with Set-LhBackupTarget -Manifest
# -SecretManifest as a user runs them: an S3 target on a loopback S3 server (s3rver) whose keys and endpoint come from
# a Secret manifest that is referenced, never copied; backup, listing and restore through it; a canary secret key that
# appears in no output stream or settings file; a folder target; invalid manifests that save nothing; and the export
# with ConvertTo-LhManifest that applies again to an equal target.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force

    # Never the user's AWS settings (as in S3.Tests.ps1): no keys, profiles, endpoints or proxies from the environment.
    $script:awsVariables = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE',
        'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_CERT', 'VIRTUAL_HOSTED_STYLE',
        'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE',
        'AWS_EC2_METADATA_DISABLED'
    $script:savedEnv = @{}
    foreach ($v in $awsVariables) { $savedEnv[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    $script:awsDir = New-TestFolder 'lh-pester-aws'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $awsDir 'credentials'
    $env:AWS_CONFIG_FILE = Join-Path $awsDir 'config'
    $env:AWS_EC2_METADATA_DISABLED = 'true'

    $script:key = 'LHBPESTERKEY'
    $script:rotatedKey = 'LHBROTATEDKEY2'
    $script:canary = 'CANARY' + [guid]::NewGuid().ToString('N')
    $script:s3 = Start-TestS3Server -Bucket 'lhb-pester' -AccessKey $key, $rotatedKey
    $script:configDir = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 12 -DataBlocks 0, 2, 5

    function ConvertTo-Base64([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)) }

    # A Secret as Longhorn's docs show it: keys base64-encoded under data, plain values under stringData.
    function New-SecretYaml([string] $Name = 'minio-secret', [string] $AccessKey = $script:key, [string] $SecretKey = $script:canary, [string] $Extra = '') {
        @"
apiVersion: v1
kind: Secret
metadata:
  name: $Name
  namespace: longhorn-system
type: Opaque
data:
  AWS_ACCESS_KEY_ID: $(ConvertTo-Base64 $AccessKey)
  AWS_SECRET_ACCESS_KEY: $(ConvertTo-Base64 $SecretKey)
stringData:
  AWS_ENDPOINTS: $($script:s3.Endpoint)
$Extra
"@
    }

    function New-TargetYaml([string] $Name = 'minio', [string] $Url = 's3://lhb-pester@us-east-1/manifest/', [string] $Secret = 'minio-secret', [string] $Poll = '1m0s') {
        $lines = @('apiVersion: longhorn.io/v1beta2', 'kind: BackupTarget', 'metadata:', "  name: $Name", '  namespace: longhorn-system', 'spec:', "  backupTargetURL: $Url")
        if ($Secret) { $lines += "  credentialSecret: $Secret" }
        if ($Poll) { $lines += "  pollInterval: $Poll" }
        ($lines -join "`n") + "`n"
    }

    function Write-TestFile([string] $Name, [string] $Text) {
        $path = Join-Path $script:work $Name
        [IO.File]::WriteAllText($path, $Text)
        $path
    }

    # Every record of every stream a command writes, as text, plus the full text of its errors. Errors do not stop it.
    function Invoke-Captured([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        $WarningPreference = 'Continue'
        $InformationPreference = 'Continue'
        $records = & { try { & $Command *>&1 } catch { $_ } }
        ($records | ForEach-Object {
            if ($_ -is [Management.Automation.ErrorRecord]) { "$($_.FullyQualifiedErrorId) $_ $($_.Exception) $($_.ErrorDetails) $($_.ErrorDetails.RecommendedAction) $($_.TargetObject)" }
            elseif ($_ -is [Management.Automation.InformationalRecord]) { $_.Message }
            else { $_ | Format-List * | Out-String -Width 4096 }
        }) -join "`n"
    }

    $script:targetFile = Write-TestFile 'backuptarget.yaml' (New-TargetYaml)
    $script:secretFile = Write-TestFile 'minio-secret.yaml' (New-SecretYaml)
}

AfterAll {
    Stop-TestS3Server -Server $script:s3
    foreach ($v in $script:awsVariables) { [Environment]::SetEnvironmentVariable($v, $script:savedEnv[$v]) }
    Remove-Item -LiteralPath $script:work, $script:awsDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An S3 target applied from a BackupTarget manifest and its Secret' {
    BeforeAll {
        $script:target = Set-LhBackupTarget -Manifest $targetFile -SecretManifest $secretFile -PassThru
    }

    It 'is named by metadata.name and keeps the URL, the poll interval and a reference to the Secret' {
        $target | Should -BeOfType ([LonghornBackup.BackupTarget])
        $target.Name | Should -Be 'minio'
        $target.Kind | Should -Be 'S3'
        $target.Url | Should -Be 's3://lhb-pester@us-east-1/manifest/'
        $target.CredentialSource | Should -Be 'Secret'
        $target.CredentialSecret | Should -Be 'minio-secret'
        $target.CredentialSecretFile | Should -Be $secretFile
        $target.PollInterval | Should -Be ([TimeSpan]::FromMinutes(1))
        $target.EndpointUrl | Should -BeNullOrEmpty
        $target.ProfileName | Should -BeNullOrEmpty
        $target.Available | Should -BeTrue
        $listed = Get-LhBackupTarget -Name minio
        $listed.CredentialSecret | Should -Be 'minio-secret'
        $listed.PollInterval | Should -Be ([TimeSpan]::FromMinutes(1))
        $listed.Available | Should -BeTrue
    }

    It 'stores only the Secret''s name and file in targets.json, and writes no credentials profile' {
        $json = Get-Content -Raw (Join-Path $configDir 'targets.json')
        $saved = ($json | ConvertFrom-Json) | Where-Object Name -EQ 'minio'
        $saved.S3.CredentialSource | Should -Be 'Secret'
        $saved.S3.CredentialSecret.Name | Should -Be 'minio-secret'
        $saved.S3.CredentialSecret.File | Should -Be $secretFile
        $json | Should -Not -Match $canary
        $json | Should -Not -Match $key
        Test-Path -LiteralPath $env:AWS_SHARED_CREDENTIALS_FILE | Should -BeFalse
    }

    It 'backs up, lists and restores with the Secret''s keys and endpoint' {
        $backup = New-LhBackup -Target minio -VolumeName pvc-manifest -SnapshotName snap-1 -Path $image -Label @{ app = 'manifest' }
        $backup.State | Should -Be 'Completed'
        $backup.Url | Should -Be "s3://lhb-pester@us-east-1/manifest/?backup=$($backup.Name)&volume=pvc-manifest"
        (Get-LhBackup -Target minio -VolumeName pvc-manifest).Name | Should -Be $backup.Name
        $restored = Join-Path $work 'restored.img'
        Get-LhBackup -Target minio -VolumeName pvc-manifest | Restore-LhBackup -Path $restored | Out-Null
        (Get-FileHash $restored).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'says where the credentials and endpoint came from: the Secret in its file' {
        $result = Test-LhBackupTarget -Name minio
        $result.Available | Should -BeTrue
        $result.Sources | Should -Contain "S3 credentials: from the Secret 'minio-secret' in file '$secretFile' (AWS_ACCESS_KEY_ID ****RKEY, AWS_SECRET_ACCESS_KEY)."
        $result.Sources | Should -Contain "S3 endpoint: $($s3.Endpoint)/ (from AWS_ENDPOINTS of the Secret 'minio-secret' in file '$secretFile')."
        $verbose = Get-LhBackupVolume -Target minio -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose | Should -Contain "S3 credentials: from the Secret 'minio-secret' in file '$secretFile' (AWS_ACCESS_KEY_ID ****RKEY, AWS_SECRET_ACCESS_KEY)."
    }

    It 'takes the Secret over the environment' {
        $env:AWS_ACCESS_KEY_ID = 'AKIAENVIRONMENTKEY'
        $env:AWS_SECRET_ACCESS_KEY = 'environment-secret'
        $env:AWS_ENDPOINTS = "http://127.0.0.1:$(Get-ClosedPort)"
        try {
            $result = Test-LhBackupTarget -Name minio
            $result.Available | Should -BeTrue
            $result.Sources | Should -Contain "S3 endpoint: $($s3.Endpoint)/ (from AWS_ENDPOINTS of the Secret 'minio-secret' in file '$secretFile')."
        }
        finally { $env:AWS_ACCESS_KEY_ID = $null; $env:AWS_SECRET_ACCESS_KEY = $null; $env:AWS_ENDPOINTS = $null }
    }

    It 'takes command-line options over the Secret' {
        $closed = "http://127.0.0.1:$(Get-ClosedPort)"
        $override = Set-LhBackupTarget -Manifest $targetFile -SecretManifest $secretFile -Name override -EndpointUrl $closed -PassThru -WarningAction SilentlyContinue
        $override.Name | Should -Be 'override'
        $override.EndpointUrl | Should -Be $closed
        $override.CredentialSecret | Should -Be 'minio-secret'
        $result = Test-LhBackupTarget -Name override
        $result.ErrorId | Should -Be 'BackupTargetUnreachable'
        $result.Sources | Should -Contain "S3 endpoint: $closed/ (from the target's -EndpointUrl)."
        Remove-LhBackupTarget -Name override -Confirm:$false
    }

    It 'replaces keys the module stored for the target before, and removes their profile' {
        $null = Set-LhBackupTarget -Name swap -Url 's3://lhb-pester@us-east-1/swap/' -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey 'earlier-secret-key' -WarningAction SilentlyContinue
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Match '\[LonghornBackup-swap\]'
        $swapped = Set-LhBackupTarget -Manifest $targetFile -SecretManifest $secretFile -Name swap -PassThru
        $swapped.CredentialSource | Should -Be 'Secret'
        $swapped.ProfileName | Should -BeNullOrEmpty
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Not -Match 'LonghornBackup-swap'
        Remove-LhBackupTarget -Name swap -Confirm:$false
    }

    It 'reads the Secret file at each use: rotated keys are used, a removed Secret is CredentialsNotFound naming file and Secret' {
        $original = [IO.File]::ReadAllText($secretFile)
        try {
            [IO.File]::WriteAllText($secretFile, (New-SecretYaml -AccessKey $rotatedKey))
            (Test-LhBackupTarget -Name minio).Sources | Should -Contain "S3 credentials: from the Secret 'minio-secret' in file '$secretFile' (AWS_ACCESS_KEY_ID ****KEY2, AWS_SECRET_ACCESS_KEY)."

            [IO.File]::WriteAllText($secretFile, (New-SecretYaml -Name 'renamed-secret'))
            $err = $null
            try { Get-LhBackup -Target minio -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'CredentialsNotFound,*'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            "$err" | Should -BeLike "*the Secret 'minio-secret' in file '$secretFile'*holds no Secret named 'minio-secret' any more*"
            $err.ErrorDetails.RecommendedAction | Should -BeLike '*Set-LhBackupTarget -Manifest*'
            "$err $($err.Exception) $($err.ErrorDetails.RecommendedAction)" | Should -Not -Match $canary

            Remove-Item -LiteralPath $secretFile
            $r = Test-LhBackupTarget -Name minio
            $r.ErrorId | Should -Be 'CredentialsNotFound'
            $r.Problem | Should -BeLike "*'$secretFile'*does not exist any more*"
            (Get-LhBackupTarget -Name minio).Available | Should -BeFalse
        }
        finally { [IO.File]::WriteAllText($secretFile, $original) }
        (Test-LhBackupTarget -Name minio).Available | Should -BeTrue
    }
}

Describe 'The Secret''s values' {
    BeforeAll {
        $script:bothInOne = Write-TestFile 'target-and-secret.yaml' ((New-TargetYaml -Name canary -Url 's3://lhb-pester@us-east-1/canary/') + "---`n" + (New-SecretYaml))
        $script:noSecretKey = Write-TestFile 'secret-without-secret-key.yaml' ((New-SecretYaml) -replace '(?m)^  AWS_SECRET_ACCESS_KEY: .*$', "  AWS_SESSION_TOKEN: $(ConvertTo-Base64 $canary)")
        $script:badEndpoint = Write-TestFile 'secret-bad-endpoint.yaml' ((New-SecretYaml) -replace '(?m)^  AWS_ENDPOINTS: .*$', "  AWS_ENDPOINTS: ftp://$canary")
        $script:brokenYaml = Write-TestFile 'secret-broken.yaml' ((New-SecretYaml) + "  NO_PROXY: `"$canary`n")
        $script:transcript = @(
            Invoke-Captured { Set-LhBackupTarget -Manifest $bothInOne -PassThru -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Manifest $targetFile -SecretManifest $secretFile -PassThru -Verbose -Debug }
            Invoke-Captured { Get-LhBackupTarget -Verbose -Debug }
            Invoke-Captured { New-LhBackup -Target canary -VolumeName pvc-canary -SnapshotName s1 -Path $image -Verbose -Debug }
            Invoke-Captured { Get-LhBackup -Target canary -Verbose -Debug }
            Invoke-Captured { Get-LhBackupVolume -Target minio -Verbose -Debug }
            Invoke-Captured { Restore-LhBackup -Target canary -VolumeName pvc-canary -Name (Get-LhBackup -Target canary).Name -Path (Join-Path $work 'canary.img') -Verbose -Debug }
            Invoke-Captured { Test-LhBackupTarget -Name * -Verbose -Debug }
            Invoke-Captured { Get-LhBackupTarget -Name canary, minio | ConvertTo-LhManifest -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Manifest $targetFile -SecretManifest $noSecretKey -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Manifest $targetFile -SecretManifest $badEndpoint -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Manifest $targetFile -SecretManifest $brokenYaml -Verbose -Debug }
        ) -join "`n"
    }

    It 'were used: the commands ran and said where the credentials came from' {
        $transcript | Should -Match "S3 credentials: from the Secret 'minio-secret' in file '$([regex]::Escape($bothInOne))'"
        $transcript | Should -Match "S3 credentials: from the Secret 'minio-secret' in file '$([regex]::Escape($secretFile))'"
        $transcript | Should -Match 'credentialSecret: minio-secret'
        $transcript | Should -Match 'lacks AWS_SECRET_ACCESS_KEY'
        $transcript | Should -Match 'InvalidTargetSetting'
        $transcript | Should -Match "The S3 endpoint from AWS_ENDPOINTS of the Secret 'minio-secret' in file '$([regex]::Escape($badEndpoint))'"
        $transcript | Should -Match 'YAML syntax error'
        $transcript | Should -Match 'InvalidManifest'
    }

    It 'appear in no output, verbose, debug, warning or error stream' {
        $transcript.Length | Should -BeGreaterThan 2000
        $transcript | Should -Not -Match $canary
    }

    It 'appear in no file under the module''s settings folder, which names the Secrets and their files' {
        Get-ChildItem -LiteralPath $configDir -Recurse -File | Should -Not -BeNullOrEmpty
        Get-ChildItem -LiteralPath $configDir -Recurse -File | Select-String -SimpleMatch $canary | Should -BeNullOrEmpty
        Get-ChildItem -LiteralPath $configDir -Recurse -File | Select-String -SimpleMatch $key | Should -BeNullOrEmpty
        Get-Content -Raw (Join-Path $configDir 'targets.json') | Should -Match ([regex]::Escape($bothInOne))
    }
}

Describe 'A vfs:// BackupTarget manifest without a Secret' {
    BeforeAll {
        $script:folder = New-TestFolder 'lh-manifest-folder'
        $script:folderFile = Write-TestFile 'folder-target.yaml' (New-TargetYaml -Name local -Url "vfs://$folder" -Secret '' -Poll '')
        $script:local = Set-LhBackupTarget -Manifest $folderFile -PassThru
    }
    AfterAll { Remove-Item -LiteralPath $script:folder -Recurse -Force -ErrorAction SilentlyContinue }

    It 'sets a folder target with no credentials and Longhorn''s default poll interval on export' {
        $local.Kind | Should -Be 'FileSystem'
        $local.Url | Should -Be "vfs://$folder"
        $local.CredentialSource | Should -BeNullOrEmpty
        $local.CredentialSecret | Should -BeNullOrEmpty
        $local.PollInterval | Should -BeNullOrEmpty
        $doc = (ConvertFrom-TestYaml ($local | ConvertTo-LhManifest))[0]
        $doc['spec']['credentialSecret'] | Should -BeExactly ''
        $doc['spec']['pollInterval'] | Should -Be '5m0s'
    }

    It 'with -Validation Warn applies despite a field the CRD lacks, warning with its line and the field meant' {
        $file = Write-TestFile 'folder-target-extra.yaml' ((New-TargetYaml -Name relaxed -Url "vfs://$folder" -Secret '' -Poll '') + "  pollIntervall: 1m0s`n")
        { Set-LhBackupTarget -Manifest $file -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidManifest,*'
        Get-LhBackupTarget -Name relaxed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $relaxed = Set-LhBackupTarget -Manifest $file -Validation Warn -PassThru -WarningVariable w -WarningAction SilentlyContinue
        $relaxed.Url | Should -Be "vfs://$folder"
        "$w" | Should -BeLike "*line 8, spec.pollIntervall: unknown field 'spec.pollIntervall' (did you mean 'pollInterval'?) is ignored.*"
        Remove-LhBackupTarget -Name relaxed -Confirm:$false
    }

    It 'takes backups' {
        $b = New-LhBackup -Target local -VolumeName pvc-local -SnapshotName s1 -Path $image
        $b.Url | Should -BeLike "vfs://$folder`?backup=*&volume=pvc-local"
        Test-Path -LiteralPath (Join-Path $folder 'backupstore/volumes') | Should -BeTrue
    }
}

Describe 'Invalid manifests save nothing' {
    BeforeAll {
        $script:before = Get-TreeState $configDir
        $script:credentialsBefore = Get-TreeState $awsDir
        $script:otherSecret = Write-TestFile 'other-secret.yaml' (New-SecretYaml -Name 'other-secret')
    }

    # The YAML is made when the test runs (Make), with the helpers of BeforeAll; lines count from the top of the file.
    It '<Case>: <ErrorId> naming <Expected>' -ForEach @(
        @{ Case = 'wrong kind'; ErrorId = 'InvalidManifest'; Make = { (New-TargetYaml) -replace 'kind: BackupTarget', 'kind: Backup' }
           Expected = 'Invalid manifest: document 1 (minio) of *, line 2, kind: kind ''Backup'' is not accepted here*' }
        @{ Case = 'wrong apiVersion'; ErrorId = 'InvalidManifest'; Make = { (New-TargetYaml) -replace 'longhorn.io/v1beta2', 'longhorn.io/v1beta1' }
           Expected = 'Invalid manifest: document 1 (minio) of *, line 1, apiVersion:*' }
        @{ Case = 'missing backupTargetURL'; ErrorId = 'InvalidManifest'; Make = { (New-TargetYaml) -replace '(?m)^  backupTargetURL: .*\n', '' }
           Expected = 'Invalid manifest: document 1 (minio) of *, line 7, spec.backupTargetURL: spec.backupTargetURL is missing*' }
        @{ Case = 'credentialSecret naming no Secret of the input'; ErrorId = 'InvalidManifest'; Make = { New-TargetYaml -Secret 'no-such-secret' }; Secrets = 'other'
           Expected = 'Invalid manifest: document 1 (minio) of *, line 8, spec.credentialSecret: the Secret ''no-such-secret'' is not in the input*' }
        @{ Case = 'Secret without AWS_SECRET_ACCESS_KEY'; ErrorId = 'InvalidManifest'
           Make = { (New-TargetYaml) + "---`n" + ((New-SecretYaml) -replace '(?m)^  AWS_SECRET_ACCESS_KEY: .*\n', '') }
           Expected = 'Invalid manifest: document 1 (minio) of *, line 8, spec.credentialSecret: the Secret ''minio-secret''*lacks AWS_SECRET_ACCESS_KEY*' }
        @{ Case = 'second document invalid'; ErrorId = 'InvalidManifest'
           Make = { (New-TargetYaml -Name first -Url 's3://lhb-pester/first/' -Secret '') + "---`n" + (New-TargetYaml -Name second -Poll 'five minutes' -Secret '') }
           Expected = 'Invalid manifest: document 2 (second) of *, line 17, spec.pollInterval:*' }
        @{ Case = 'an NFS URL without the colon after the server'; ErrorId = 'InvalidBackupTargetUrl'; Make = { New-TargetYaml -Url 'nfs://nfs.example/export' -Secret '' }
           Expected = 'document 1 (minio) of *, line 7, spec.backupTargetURL: *followed by '':''*' }
        @{ Case = 'a BackupTarget in the Secret file'; ErrorId = 'InvalidManifest'; Make = { New-TargetYaml -Secret 'other-secret' }; Secrets = 'target-in-secret-file'
           Expected = 'Invalid manifest: document 2 (sneaky) of *, line 14, kind: kind ''BackupTarget'' is not accepted here: this input takes Secret (v1) documents*' }
        @{ Case = 'a misspelt credentialSecret'; ErrorId = 'InvalidManifest'; Make = { (New-TargetYaml) -replace 'credentialSecret:', 'credentialsSecret:' }
           Expected = 'Invalid manifest: document 1 (minio) of *, line 8, spec.credentialsSecret: unknown field ''spec.credentialsSecret'' (did you mean ''credentialSecret''?)*' }
        @{ Case = 'a Secret whose stringData is misspelt'; ErrorId = 'InvalidManifest'; Make = { (New-TargetYaml) + "---`n" + ((New-SecretYaml) -replace 'stringData:', 'stringdata:') }
           Expected = 'Invalid manifest: document 2 (minio-secret) of *, line 20, stringdata: unknown field ''stringdata'' (did you mean ''stringData''?)*' }
        @{ Case = 'a Secret with a flow mapping broken across lines'; ErrorId = 'InvalidManifest'
           Make = { (New-TargetYaml) + "---`n" + ((New-SecretYaml) -replace '(?m)^  namespace: longhorn-system$', "  labels: {a:`nb}") }
           Expected = 'Invalid manifest: document 2 of *, line 15: YAML syntax error near this line*' }
        @{ Case = 'a Secret whose data is a list'; ErrorId = 'InvalidManifest'
           Make = { (New-TargetYaml) + "---`n" + ((New-SecretYaml) -replace '(?m)^  AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY): ', '  - ') }
           Expected = 'Invalid manifest: document 2 (minio-secret) of *, line 18, data: data must be a mapping of keys to base64 values, but it is a list*' }
    ) {
        $Text = & $Make
        $file = Write-TestFile "invalid-$($Case -replace '\W', '-').yaml" $Text
        $params = @{ Manifest = $file }
        if ($Secrets -eq 'other') { $params.SecretManifest = $otherSecret }
        if ($Secrets -eq 'target-in-secret-file') {
            $params.SecretManifest = Write-TestFile 'secret-with-target.yaml' ((New-SecretYaml -Name 'other-secret') + "---`n" + (New-TargetYaml -Name sneaky -Secret ''))
        }
        $err = $null
        try { Set-LhBackupTarget @params -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        "$err" | Should -BeLike $Expected
        "$err $($err.Exception)" | Should -Not -Match $canary
        Get-TreeState $configDir | Should -Be $before
        Get-TreeState $awsDir | Should -Be $credentialsBefore
    }

    It 'a manifest file that does not exist' {
        { Set-LhBackupTarget -Manifest (Join-Path $work 'missing.yaml') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidManifest,*'
        Get-TreeState $configDir | Should -Be $before
    }

    It '-WhatIf saves nothing' {
        Set-LhBackupTarget -Manifest $targetFile -SecretManifest $secretFile -Name whatif -WhatIf
        Get-TreeState $configDir | Should -Be $before
    }
}

Describe 'ConvertTo-LhManifest of a target set from a manifest' {
    BeforeAll {
        $script:original = Get-LhBackupTarget -Name minio
        $script:exported = $original | ConvertTo-LhManifest
        $script:doc = (ConvertFrom-TestYaml $exported)[0]
    }

    It 'writes the Secret''s name, the poll interval and the URL, and no value' {
        $doc['kind'] | Should -Be 'BackupTarget'
        $doc['metadata']['name'] | Should -Be 'minio'
        $doc['spec']['backupTargetURL'] | Should -Be 's3://lhb-pester@us-east-1/manifest/'
        $doc['spec']['credentialSecret'] | Should -BeExactly 'minio-secret'
        $doc['spec']['pollInterval'] | Should -BeExactly '1m0s'
        $exported | Should -Not -Match $canary
        $exported | Should -Not -Match $key
    }

    It 'applies again with the same -SecretManifest to an equal target' {
        $file = Join-Path $work 'exported-target.yaml'
        $original | ConvertTo-LhManifest -Path $file
        Remove-LhBackupTarget -Name minio -Confirm:$false
        Get-LhBackupTarget -Name minio -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $again = Set-LhBackupTarget -Manifest $file -SecretManifest $secretFile -PassThru
        $properties = $original.PSObject.Properties.Name | Where-Object { $_ -ne 'SetAt' }
        $properties | Should -Contain 'CredentialSecret'
        foreach ($p in $properties) { $again.$p | Should -Be $original.$p -Because "$p is kept" }
        (Get-LhBackup -Target minio -VolumeName pvc-manifest) | Should -Not -BeNullOrEmpty
    }
}
