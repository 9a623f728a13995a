# Transient network faults as a user meets them: an S3 target whose endpoint is the fault proxy (tools/faultproxy) in
# front of s3rver. At a 5% rate of resets, bodies reset or cut short, 500/503 answers, stalls and cut uploads, the
# cmdlets back up, restore bit for bit and deep-check without an error; a store that is busy on every request makes
# Test-LhBackupTarget say so, with the number of attempts it really made.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'FaultProxy.psm1') -Force
    $script:aws = Use-IsolatedAwsSettings
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:s3 = Start-TestS3Server -Bucket 'lhb-faults' -AccessKey 'LHBFAULTKEY' -AtomicPut   # as production S3 stores a PUT
    $script:keys = @{ AccessKey = 'LHBFAULTKEY'; SecretKey = (ConvertTo-SecureString ('secret-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force) }
}

AfterAll {
    Stop-TestS3Server -Server $script:s3
    Restore-AwsSettings $script:aws
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An S3 target behind a network that fails 5% of requests' {
    BeforeAll {
        $script:proxy = Start-TestFaultProxy -Upstream $s3.Endpoint -Rate 0.05 -Seed 3 -StallMilliseconds 300
        $null = Set-LhBackupTarget -Name flaky -Url 's3://lhb-faults@us-east-1/flaky/' -EndpointUrl $proxy.Endpoint @keys -WarningAction SilentlyContinue
        $script:image = Join-Path $work 'flaky.img'
        New-TestImage -Path $image -SizeMiB 10 -DataBlocks 0, 1, 3
        $script:first = New-LhBackup -Target flaky -VolumeName vol-flaky -SnapshotName s1 -Path $image -ErrorAction Stop
        $script:firstHash = (Get-FileHash $image).Hash
        Set-TestBlock -Path $image -Index 4 -Seed 90
        $script:second = New-LhBackup -Target flaky -VolumeName vol-flaky -SnapshotName s2 -Path $image -ErrorAction Stop
        $script:secondHash = (Get-FileHash $image).Hash
    }

    AfterAll {
        Stop-TestFaultProxy -Proxy $script:proxy
    }

    It 'backs up, full then incremental' {
        $first.State | Should -Be 'Completed'
        $second.State | Should -Be 'Completed'
        $second.IsIncremental | Should -BeTrue
    }

    It 'restores each backup bit for bit' {
        $out1 = Join-Path $work 'flaky-1.img'
        $out2 = Join-Path $work 'flaky-2.img'
        $first | Restore-LhBackup -Path $out1 -ErrorAction Stop | Out-Null
        $second | Restore-LhBackup -Path $out2 -ErrorAction Stop | Out-Null
        (Get-FileHash $out1).Hash | Should -Be $firstHash
        (Get-FileHash $out2).Hash | Should -Be $secondHash
    }

    It 'finds every block intact in a deep check' {
        $r = Test-LhBackup -Target flaky -VolumeName vol-flaky -Deep -ErrorAction Stop
        $r.State | Should -Be @('Healthy', 'Healthy')
    }

    It 'really met faults on the way' {
        $stats = Get-TestFaultProxyStat -Proxy $proxy
        $injected = ($stats.faults.PSObject.Properties | Measure-Object -Property Value -Sum).Sum
        $injected | Should -BeGreaterThan 0 -Because "the proxy saw $($stats.requests) requests"
    }
}

Describe 'An S3 target whose store is busy on every request' {
    BeforeAll {
        $script:busy = Start-TestFaultProxy -Upstream $s3.Endpoint -Fault @{ '503' = 1 }
        $null = Set-LhBackupTarget -Name busy -Url 's3://lhb-faults@us-east-1/busy/' -EndpointUrl $busy.Endpoint @keys -WarningAction SilentlyContinue
    }

    AfterAll {
        Stop-TestFaultProxy -Proxy $script:busy
    }

    It 'makes Test-LhBackupTarget say the store is busy, after the attempts it really made' {
        $before = (Get-TestFaultProxyStat -Proxy $busy).requests
        $r = Test-LhBackupTarget -Name busy
        $r.Available | Should -BeFalse
        $r.ErrorId | Should -Be 'StoreReadFailed'
        $r.Problem | Should -BeLike '*answered 503 SlowDown after 3 attempts*'
        $r.RecommendedAction | Should -BeLike '*try again later*'
        (Get-TestFaultProxyStat -Proxy $busy).requests - $before | Should -Be 3   # one listing, tried three times
    }
}
