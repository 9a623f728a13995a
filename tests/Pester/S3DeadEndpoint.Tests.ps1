# Issue 14, item 7: an S3 endpoint where nothing listens, or whose host name does not resolve, fails at once with
# BackupTargetUnreachable naming the endpoint and the cause: retries are for throttling and 5xx (S3FaultTests), not for
# a store that is not there. "At once" is checked by its cause (the refusal or the failed lookup, never a timeout)
# rather than by a stopwatch a busy machine could overrun; S3DeadEndpointTests counts the single request.

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

    # Runs the command; returns its terminating error.
    function Get-Failure([scriptblock] $Command) {
        $err = $null
        try { $null = & $Command } catch { $err = $_ }
        $err
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

    It 'Get-LhBackup fails at once as BackupTargetUnreachable, naming the endpoint and the cause' {
        $err = Get-Failure { Get-LhBackup -Target $Target -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupTargetUnreachable,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        "$err" | Should -BeLike "*$endpoint*"
        "$err" | Should -BeLike $Cause
        "$err" | Should -Not -BeLike '*in time*'
    }

    It 'New-LhBackup fails at once as BackupTargetUnreachable' {
        $err = Get-Failure { New-LhBackup -Target $Target -VolumeName vol-dead -SnapshotName s1 -Path $image -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupTargetUnreachable,*'
        "$err" | Should -BeLike $Cause
        "$err" | Should -Not -BeLike '*in time*'
    }

    It 'Test-LhBackupTarget says so, with the cause' {
        $result = Test-LhBackupTarget -Name $Target
        $result.Available | Should -BeFalse
        $result.ErrorId | Should -Be 'BackupTargetUnreachable'
        $result.Problem | Should -BeLike "*$endpoint*"
        $result.Problem | Should -BeLike $Cause
    }

    It 'Get-LhBackupTarget shows it unavailable' {
        $target = Get-LhBackupTarget -Name $Target
        $target.Available | Should -BeFalse
    }
}
