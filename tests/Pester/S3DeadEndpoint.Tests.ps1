# Issue 14, item 7: an S3 endpoint where nothing listens, or whose host name does not resolve, fails within 3 s with
# BackupTargetUnreachable naming the endpoint and the cause: retries are for throttling and 5xx (S3FaultTests), not for
# a store that is not there. The times measured are those of the failing command alone.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force
    $script:aws = Use-IsolatedAwsSettings
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'dead.img'
    New-TestImage -Path $image -SizeMiB 4 -DataBlocks 0
    $secret = ConvertTo-SecureString ('secret-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
    $keys = @{ AccessKey = 'LHBDEADKEY'; SecretKey = $secret; WarningAction = 'SilentlyContinue' }
    $script:refusing = "http://127.0.0.1:$(Get-ClosedPort)"
    Set-LhBackupTarget -Name refusing -Url 's3://lhb-dead/p/' -EndpointUrl $refusing @keys
    Set-LhBackupTarget -Name unresolvable -Url 's3://lhb-dead/p/' -EndpointUrl 'http://nonexistent.invalid:9000' @keys

    # Runs the command; returns its terminating or first error and the wall time it took.
    function Measure-Failure([scriptblock] $Command) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $err = $null
        try { $null = & $Command } catch { $err = $_ }
        $watch.Stop()
        [pscustomobject]@{ Error = $err; Seconds = $watch.Elapsed.TotalSeconds }
    }
}

AfterAll {
    Restore-AwsSettings $script:aws
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'An S3 endpoint that <Case>' -ForEach @(
    @{ Case = 'refuses connections'; Target = 'refusing'; Endpoint = $null; Cause = '*refused the connection*' }
    @{ Case = 'does not resolve'; Target = 'unresolvable'; Endpoint = 'http://nonexistent.invalid:9000'; Cause = '*could not be resolved*' }
) {
    BeforeAll {
        $script:endpoint = if ($Endpoint) { $Endpoint } else { $refusing }
    }

    It 'Get-LhBackup fails within 3 s as BackupTargetUnreachable, naming the endpoint and the cause' {
        $r = Measure-Failure { Get-LhBackup -Target $Target -ErrorAction Stop }
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'BackupTargetUnreachable,*'
        $r.Error.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        "$($r.Error)" | Should -BeLike "*$endpoint*"
        "$($r.Error)" | Should -BeLike $Cause
        $r.Seconds | Should -BeLessThan 3
    }

    It 'New-LhBackup fails within 3 s as BackupTargetUnreachable' {
        $r = Measure-Failure { New-LhBackup -Target $Target -VolumeName vol-dead -SnapshotName s1 -Path $image -ErrorAction Stop }
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'BackupTargetUnreachable,*'
        "$($r.Error)" | Should -BeLike $Cause
        $r.Seconds | Should -BeLessThan 3
    }

    It 'Test-LhBackupTarget says so within 3 s' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $result = Test-LhBackupTarget -Name $Target
        $watch.Stop()
        $result.Available | Should -BeFalse
        $result.ErrorId | Should -Be 'BackupTargetUnreachable'
        $result.Problem | Should -BeLike "*$endpoint*"
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It 'Get-LhBackupTarget shows it unavailable within 3 s' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $target = Get-LhBackupTarget -Name $Target
        $watch.Stop()
        $target.Available | Should -BeFalse
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 3
    }
}
