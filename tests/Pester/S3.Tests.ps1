# S3 targets as a user runs them, against a real S3 server (s3rver) on 127.0.0.1: set a target with keys, back up,
# list, restore; Test-LhBackupTarget's words for a wrong bucket, wrong keys, an unreachable endpoint; bad input that
# changes nothing; and a canary secret key that appears in no output stream, error or file the module writes.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force

    # Never the user's AWS settings: no keys, profiles or endpoints from the environment, private credential files,
    # and no instance-metadata lookups.
    $script:awsVariables = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE',
        'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_CERT', 'VIRTUAL_HOSTED_STYLE',
        'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'
    $script:savedEnv = @{}
    foreach ($v in $awsVariables) { $savedEnv[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    $script:awsDir = New-TestFolder 'lh-pester-aws'
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $awsDir 'credentials'
    $env:AWS_CONFIG_FILE = Join-Path $awsDir 'config'
    $env:AWS_EC2_METADATA_DISABLED = 'true'

    $script:key = 'LHBPESTERKEY'
    $script:canary = 'CANARY' + [guid]::NewGuid().ToString('N')
    $script:s3 = Start-TestS3Server -Bucket 'lhb-pester' -AccessKey $key
    $script:configDir = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 12 -DataBlocks 0, 2, 5

    # Every record of every stream a command writes, as text, plus the full text of its errors. Errors do not stop it.
    function Invoke-Captured([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        $WarningPreference = 'Continue'
        $InformationPreference = 'Continue'
        $records = & { try { & $Command *>&1 } catch { $_ } }
        ($records | ForEach-Object {
            if ($_ -is [Management.Automation.ErrorRecord]) { "$_ $($_.Exception) $($_.ErrorDetails) $($_.TargetObject)" }
            elseif ($_ -is [Management.Automation.InformationalRecord]) { $_.Message }
            else { $_ | Format-List * | Out-String -Width 4096 }
        }) -join "`n"
    }
}

AfterAll {
    Stop-TestS3Server -Server $script:s3
    foreach ($v in $script:awsVariables) { [Environment]::SetEnvironmentVariable($v, $script:savedEnv[$v]) }
    Remove-Item -LiteralPath $script:work, $script:awsDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An S3 target with keys' {
    BeforeAll {
        $script:url = 's3://lhb-pester@us-east-1/pester/'
        $script:target = Set-LhBackupTarget -Name s3 -Url $url -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey $canary -PassThru
        $script:first = New-LhBackup -Target s3 -VolumeName pvc-s3 -SnapshotName snap-1 -Path $image -Label @{ app = 's3test' }
        $script:firstHash = (Get-FileHash $image).Hash
        Set-TestBlock -Path $image -Index 3 -Seed 77
        $script:second = New-LhBackup -Target s3 -VolumeName pvc-s3 -SnapshotName snap-2 -Path $image
    }

    It 'is saved with its endpoint and a reference to a stored profile, and is available' {
        $target.Kind | Should -Be 'S3'
        $target.Url | Should -Be $url
        $target.EndpointUrl | Should -Be $s3.Endpoint
        $target.Region | Should -Be 'us-east-1'
        $target.CredentialSource | Should -Be 'Profile'
        $target.ProfileName | Should -Be 'LonghornBackup-s3'
        $target.Available | Should -BeTrue
        (Get-LhBackupTarget -Name s3).Available | Should -BeTrue
    }

    It 'backs up incrementally with Longhorn backup URLs' {
        $first.Url | Should -Be "$($url)?backup=$($first.Name)&volume=pvc-s3"
        $first.State | Should -Be 'Completed'
        $second.IsIncremental | Should -BeTrue
        $second.NewlyUploadedDataSize | Should -BeGreaterThan 2MB
        $second.NewlyUploadedDataSize | Should -BeLessThan (2 * 2MB)
    }

    It 'lists volumes and backups' {
        (Get-LhBackupVolume -Target s3).Name | Should -Be 'pvc-s3'
        # Both backups may start in the same second, which S3's whole-second object times cannot order: compare as sets.
        (Get-LhBackup -Target s3 -VolumeName pvc-s3).Name | Sort-Object | Should -Be (@($first.Name, $second.Name) | Sort-Object)
        (Get-LhBackup -Target s3 -Label @{ app = 's3test' }).Name | Should -Be $first.Name
    }

    It 'restores each backup bit-exact, by name, from the pipeline and by URL' {
        $out1 = Join-Path $work 's3-restored-1.img'
        $first | Restore-LhBackup -Path $out1 | Out-Null
        (Get-FileHash $out1).Hash | Should -Be $firstHash
        $out2 = Join-Path $work 's3-restored-2.img'
        Restore-LhBackup -Url $second.Url -Path $out2 | Out-Null
        (Get-FileHash $out2).Hash | Should -Be (Get-FileHash $image).Hash
    }

    It 'passes Test-LhBackupTarget: settings, list, write, read back and delete' {
        $result = Test-LhBackupTarget -Name s3
        $result | Should -BeOfType ([LonghornBackup.BackupTargetTestResult])
        $result.Available | Should -BeTrue
        $result.Problem | Should -BeNullOrEmpty
        $result.Checks.Name | Should -Be @('Settings', 'List', 'Write', 'Read', 'Delete')
        $result.Checks.Passed | Should -Not -Contain $false
        $result.Sources | Should -Contain "S3 endpoint: $($s3.Endpoint)/ (from the target's -EndpointUrl)."
        Test-LhBackupTarget -Name s3 -Quiet | Should -BeTrue
        Test-LhBackupTarget -Name s3 -ReadOnly | ForEach-Object { $_.Checks.Name } | Should -Be @('Settings', 'List')
    }

    It 'says on the debug stream where credentials, region and endpoint came from' {
        $debug = Get-LhBackupVolume -Target s3 -Debug 5>&1 4>&1 | Where-Object { $_ -is [Management.Automation.DebugRecord] } | ForEach-Object Message
        $debug | Should -Contain 'S3 region: us-east-1 (from the target URL).'
        ($debug -join "`n") | Should -Match "S3 credentials: from the AWS profile 'LonghornBackup-s3' \(the target's credentials source\) in '$([regex]::Escape($env:AWS_SHARED_CREDENTIALS_FILE))', access key \*\*\*\*RKEY"
    }
}

Describe 'Changing one setting of an S3 target with stored keys' {
    BeforeAll {
        $script:local = Set-LhBackupTarget -Name local-s3 -Url 's3://lhb-pester@us-east-1/local/' -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey $canary -PassThru
        $null = New-LhBackup -Target local-s3 -VolumeName pvc-local -SnapshotName s1 -Path $image
    }

    It 'runs the RetentionPolicyNotSet hint as printed and keeps the endpoint and the stored keys' {
        $err = $null
        try { Remove-LhBackup -Target local-s3 -VolumeName pvc-local -UseTargetPolicy -Force -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'RetentionPolicyNotSet,*'
        $hint = [regex]::Match($err.ErrorDetails.RecommendedAction, 'Set-LhBackupTarget .*$').Value
        $hint | Should -Be 'Set-LhBackupTarget -Name local-s3 -RetentionPolicy @{ KeepDaily = 7 }'

        Invoke-Expression $hint

        $now = Get-LhBackupTarget -Name local-s3
        "$($now.RetentionPolicy)" | Should -Be 'KeepDaily=7'
        $now.EndpointUrl | Should -Be $s3.Endpoint
        $now.ProfileName | Should -Be 'LonghornBackup-local-s3'
        $now.Available | Should -BeTrue
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Match '\[LonghornBackup-local-s3\]'
        (Remove-LhBackup -Target local-s3 -VolumeName pvc-local -UseTargetPolicy -WhatIf).Action | Should -Be 'Keep'
    }

    It 'takes the target piped from Get-LhBackupTarget and changes only what is given' {
        $before = Get-LhBackupTarget -Name local-s3
        Get-LhBackupTarget -Name local-s3 | Set-LhBackupTarget -MaxBytesPerSecond 50MB -MaxConcurrentUploads 4
        $after = Get-LhBackupTarget -Name local-s3
        $after.MaxBytesPerSecond | Should -Be 50MB
        $after.MaxConcurrentUploads | Should -Be 4
        foreach ($p in 'Url', 'EndpointUrl', 'Region', 'CredentialSource', 'ProfileName', 'ProfileLocation', 'Available') { $after.$p | Should -Be $before.$p -Because $p }
        "$($after.RetentionPolicy)" | Should -Be "$($before.RetentionPolicy)"
        (Get-LhBackup -Target local-s3 -VolumeName pvc-local).SnapshotName | Should -Be 's1'   # endpoint and keys still work
    }
}

Describe 'Test-LhBackupTarget reports what is wrong in words' {
    It 'a bucket that does not exist' {
        $null = Set-LhBackupTarget -Name nobucket -Url 's3://lhb-missing@us-east-1/p/' -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey $canary -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match "saved, but cannot be used now: The bucket 'lhb-missing' does not exist"
        $r = Test-LhBackupTarget -Name nobucket
        $r.Available | Should -BeFalse
        $r.ErrorId | Should -Be 'BucketNotFound'
        $r.Problem | Should -Be "The bucket 'lhb-missing' does not exist at the S3 endpoint $($s3.Endpoint)."
        $r.RecommendedAction | Should -BeLike '*bucket name*create the bucket*'
        Test-LhBackupTarget -Name nobucket -Quiet | Should -BeFalse
        (Get-LhBackupTarget -Name nobucket).Available | Should -BeFalse
        { New-LhBackup -Target nobucket -VolumeName vol-x -SnapshotName s -Path $image -ErrorAction Stop } | Should -Throw -ErrorId 'BucketNotFound,*'
    }

    It 'keys the store does not accept' {
        $null = Set-LhBackupTarget -Name wrongkey -Url 's3://lhb-pester@us-east-1/pester/' -EndpointUrl $s3.Endpoint -AccessKey 'AKIAWRONGWRONG' -SecretKey $canary -WarningAction SilentlyContinue
        $r = Test-LhBackupTarget -Name wrongkey
        $r.ErrorId | Should -Be 'InvalidCredentials'
        $r.Problem | Should -BeLike "*rejected the credentials from the AWS profile 'LonghornBackup-wrongkey'*InvalidAccessKeyId*"
        $r.RecommendedAction | Should -BeLike '*-AccessKey*'
        $err = $null
        try { Get-LhBackup -Target wrongkey -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidCredentials,*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'an endpoint nothing listens on' {
        $null = Set-LhBackupTarget -Name down -Url 's3://lhb-pester/p/' -EndpointUrl "http://127.0.0.1:$(Get-ClosedPort)" -AccessKey $key -SecretKey $canary -WarningAction SilentlyContinue
        $r = Test-LhBackupTarget -Name down
        $r.ErrorId | Should -Be 'BackupTargetUnreachable'
        $r.Problem | Should -BeLike '*refused the connection*'
        $r.Checks.Name | Should -Be @('Settings', 'List')
    }

    It 'no credentials anywhere' {
        $null = Set-LhBackupTarget -Name nokeys -Url 's3://lhb-pester/p/' -EndpointUrl $s3.Endpoint -WarningAction SilentlyContinue
        $r = Test-LhBackupTarget -Name nokeys
        $r.ErrorId | Should -Be 'CredentialsNotFound'
        $r.RecommendedAction | Should -BeLike '*-AccessKey/-SecretKey*'
    }

    It 'credentials from the environment when the target names none' {
        $env:AWS_ACCESS_KEY_ID = $key
        $env:AWS_SECRET_ACCESS_KEY = $canary
        try {
            $r = Test-LhBackupTarget -Name nokeys
            $r.Available | Should -BeTrue
            $r.Sources | Should -Contain 'S3 credentials: from the environment variables AWS_ACCESS_KEY_ID (****RKEY) and AWS_SECRET_ACCESS_KEY.'
        }
        finally { $env:AWS_ACCESS_KEY_ID = $null; $env:AWS_SECRET_ACCESS_KEY = $null }
    }
}

Describe 'Bad S3 input changes nothing' {
    BeforeAll {
        $script:before = Get-TreeState $configDir
        $script:credentialsBefore = Get-TreeState $awsDir
    }

    It 'rejects <Url> with InvalidBackupTargetUrl' -ForEach @(
        @{ Url = 's3://bucket' }, @{ Url = 's3:///prefix/' }, @{ Url = 's3://Bad_Bucket/' }, @{ Url = 's3://bucket@/p/' },
        @{ Url = 's3://bucket/p/?backup=x' }, @{ Url = 's3://bucket/a/../b/' }, @{ Url = 's3://bucket:9000/p/' }
    ) {
        { Set-LhBackupTarget -Name bad -Url $Url -AccessKey $key -SecretKey $canary -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBackupTargetUrl,*'
        Get-TreeState $configDir | Should -Be $before
        Get-TreeState $awsDir | Should -Be $credentialsBefore
    }

    It 'refuses keys pasted into the URL without repeating them' {
        $err = $null
        try { Set-LhBackupTarget -Name bad -Url "s3://AKIAX:$canary@bucket/p/" -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidBackupTargetUrl,*'
        "$err $($err.TargetObject) $($err.ErrorDetails)" | Should -Not -Match $canary
        Get-TreeState $configDir | Should -Be $before
    }

    It 'refuses a bad endpoint, a missing profile, a missing CA file, half a key pair and S3 options on a folder' {
        { Set-LhBackupTarget -Name bad -Url 's3://bucket/p/' -EndpointUrl 'ftp://x' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 's3://bucket/p/' -ProfileName no-such-profile -ErrorAction Stop } | Should -Throw -ErrorId 'CredentialsNotFound,*'
        { Set-LhBackupTarget -Name bad -Url 's3://bucket/p/' -CACertificatePath (Join-Path $work 'missing.pem') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url 's3://bucket/p/' -Credential ([pscredential]::new('AKIAONLY', [securestring]::new())) -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        { Set-LhBackupTarget -Name bad -Url $work -EndpointUrl $s3.Endpoint -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTargetSetting,*'
        Get-TreeState $configDir | Should -Be $before
        Get-TreeState $awsDir | Should -Be $credentialsBefore
    }

    It '-WhatIf stores neither the target nor its keys' {
        Set-LhBackupTarget -Name whatif -Url 's3://lhb-pester/p/' -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey $canary -WhatIf
        Get-TreeState $configDir | Should -Be $before
        Get-TreeState $awsDir | Should -Be $credentialsBefore
    }
}

Describe 'The secret key' {
    BeforeAll {
        $script:transcript = @(
            Invoke-Captured { Set-LhBackupTarget -Name canary -Url 's3://lhb-pester@us-east-1/canary/' -EndpointUrl $s3.Endpoint -AccessKey $key -SecretKey $canary -PassThru -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Name canary2 -Url 's3://lhb-pester@us-east-1/canary2/' -EndpointUrl $s3.Endpoint -Credential ([pscredential]::new($key, (ConvertTo-SecureString $canary -AsPlainText -Force))) -PassThru -Verbose -Debug }
            Invoke-Captured { Get-LhBackupTarget -Verbose -Debug }
            Invoke-Captured { New-LhBackup -Target canary -VolumeName pvc-canary -SnapshotName s1 -Path $image -Verbose -Debug }
            Invoke-Captured { Get-LhBackup -Target canary -Verbose -Debug }
            Invoke-Captured { Get-LhBackupVolume -Target canary2 -Verbose -Debug }
            Invoke-Captured { Test-LhBackupTarget -Name * -Verbose -Debug }
            Invoke-Captured { Restore-LhBackup -Target canary -VolumeName pvc-canary -Name (Get-LhBackup -Target canary).Name -Path (Join-Path $work 'canary.img') -Verbose -Debug }
            Invoke-Captured { New-LhBackup -Target nobucket -VolumeName pvc-canary -SnapshotName s1 -Path $image -Verbose -Debug }
            Invoke-Captured { Get-LhBackup -Target wrongkey -Verbose -Debug }
            Invoke-Captured { Get-LhBackupTarget -Name down -Verbose -Debug }
            Invoke-Captured { Set-LhBackupTarget -Name canary3 -Url "s3://AKIAX:$canary@bucket/p/" -Verbose -Debug }
        ) -join "`n"
    }

    It 'was used: the commands ran and said where credentials came from' {
        $transcript | Should -Match "S3 credentials: from the AWS profile 'LonghornBackup-canary'"
        $transcript | Should -Match 'BucketNotFound'
        $transcript | Should -Match 'InvalidCredentials'
        $transcript | Should -Match 'BackupTargetUnreachable'
    }

    It 'appears in no output, verbose, debug, warning or error stream' {
        $transcript.Length | Should -BeGreaterThan 2000
        $transcript | Should -Not -Match $canary
    }

    It 'appears in no file under the module''s settings folder' {
        Get-ChildItem -LiteralPath $configDir -Recurse -File | Should -Not -BeNullOrEmpty
        Get-ChildItem -LiteralPath $configDir -Recurse -File | Select-String -SimpleMatch $canary | Should -BeNullOrEmpty
        Get-Content -Raw (Join-Path $configDir 'targets.json') | Should -Match 'LonghornBackup-canary'
    }

    It 'is kept only in the AWS shared credentials file, readable by its owner only' {
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Match '\[LonghornBackup-canary\]'
        if (-not $IsWindows) { (Get-Item $env:AWS_SHARED_CREDENTIALS_FILE).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }
    }

    It 'is removed with the target that stored it' {
        Remove-LhBackupTarget -Name canary, canary2, nobucket, wrongkey, down -Confirm:$false
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Not -Match 'LonghornBackup-canary'
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Match '\[LonghornBackup-s3\]'
        Get-Content -Raw $env:AWS_SHARED_CREDENTIALS_FILE | Should -Not -Match 'LonghornBackup-wrongkey'
    }
}

Describe 'Module boundary' {
    It 'the cmdlet assembly references no AWS assembly (the engine alone talks to AWSSDK.S3)' {
        $dll = Join-Path (Split-Path $env:LONGHORNBACKUP_TEST_MODULE) 'bin/net8.0/LonghornBackup.dll'
        $references = ([Reflection.Assembly]::LoadFile($dll)).GetReferencedAssemblies().Name
        $references | Should -Contain 'LonghornBackup.Engine'
        $references | Where-Object { $_ -like 'AWSSDK*' } | Should -BeNullOrEmpty
    }
}
