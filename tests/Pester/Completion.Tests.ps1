# Tab completion returns names from a real target, as a user pressing Tab would see them.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $null = Use-IsolatedTargetSettings
    $script:work = New-TestFolder
    $script:target = New-TestFolder 'lh-target'
    Set-LhBackupTarget -Url $target
    Set-LhBackupTarget -Name offsite -Url $target
    $img = Join-Path $work 'c.img'
    New-TestImage -Path $img -SizeMiB 4 -DataBlocks 0
    $script:b1 = New-LhBackup -VolumeName app-data -SnapshotName s1 -Path $img
    $script:b2 = New-LhBackup -VolumeName app-logs -SnapshotName s1 -Path $img
    $null = New-LhBackup -VolumeName other -SnapshotName s1 -Path $img

    function Complete([string] $line) {
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
    }
}

AfterAll { Remove-Item -LiteralPath $work, $target -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Argument completion' {
    It 'completes -Target with the names of the targets set' {
        Complete 'Get-LhBackup -Target off' | Should -Be @('offsite')
    }

    It 'completes -VolumeName with the volumes on the target' {
        Complete 'Get-LhBackup -VolumeName app' | Should -Be @('app-data', 'app-logs')
        Complete 'Get-LhBackupVolume -Name oth' | Should -Be @('other')
    }

    It 'completes backup names of the volume given on the command line' {
        Complete 'Restore-LhBackup -VolumeName app-logs -Name ' | Should -Be @($b2.Name)
        Complete 'Get-LhBackup -VolumeName app-data -Name backup-' | Should -Be @($b1.Name)
    }

    It 'completes -SnapshotName of Get-LhBackup with the snapshots of the target''s backups, not file names' {
        $null = New-LhBackup -VolumeName other -SnapshotName nightly-2026-11-26 -Path (Join-Path $work 'c.img')
        Push-Location -LiteralPath $work   # a folder with files in it: c.img must not be offered
        try {
            Complete 'Get-LhBackup -SnapshotName ' | Should -Be @('nightly-2026-11-26', 's1')
            Complete 'Get-LhBackup -VolumeName other -SnapshotName nig' | Should -Be @('nightly-2026-11-26')
            Complete 'Get-LhBackup -VolumeName app-data -SnapshotName ' | Should -Be @('s1')
            Complete 'Get-LhBackup -SnapshotName c' | Should -BeNullOrEmpty
        }
        finally { Pop-Location }
    }

    It 'completes nothing, quickly, for a target that is not set' {
        Complete 'Get-LhBackup -Target nowhere -VolumeName a' | Should -BeNullOrEmpty
    }
}

# Issue 14, item 4: an S3 target is opened with its saved endpoint and credentials, as the cmdlets open it, and a
# store that is not there (or never answers) completes nothing within a few seconds instead of hanging the Tab key.
Describe 'Argument completion on an S3 target' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force
        $script:aws = Use-IsolatedAwsSettings
        $script:s3 = Start-TestS3Server -Bucket 'lhb-complete' -AccessKey 'LHBCOMPLETEKEY'
        $secret = ConvertTo-SecureString ('secret-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
        $keys = @{ AccessKey = 'LHBCOMPLETEKEY'; SecretKey = $secret; WarningAction = 'SilentlyContinue' }
        Set-LhBackupTarget -Name s3t -Url 's3://lhb-complete/c/' -EndpointUrl $s3.Endpoint @keys
        $img = Join-Path $work 's3.img'
        New-TestImage -Path $img -SizeMiB 4 -DataBlocks 0
        $script:s3Backup = New-LhBackup -Target s3t -VolumeName s3-vol -SnapshotName s1 -Path $img

        # Nothing listens on one port; the other accepts connections and never answers.
        Set-LhBackupTarget -Name refusing -Url 's3://lhb-complete/c/' -EndpointUrl "http://127.0.0.1:$(Get-ClosedPort)" @keys
        Set-LhBackupTarget -Name unresolvable -Url 's3://lhb-complete/c/' -EndpointUrl 'http://nonexistent.invalid:9000' @keys
        $script:silent = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $silent.Start()
        Set-LhBackupTarget -Name silent -Url 's3://lhb-complete/c/' -EndpointUrl "http://127.0.0.1:$($silent.LocalEndpoint.Port)" @keys
    }

    AfterAll {
        $script:silent.Stop()
        Stop-TestS3Server -Server $script:s3
        Restore-AwsSettings $script:aws
    }

    It 'completes -VolumeName with the volumes on the S3 target' {
        Complete 'Get-LhBackup -Target s3t -VolumeName ' | Should -Be @('s3-vol')
        Complete 'Get-LhBackupVolume -Target s3t -Name s3' | Should -Be @('s3-vol')
    }

    It 'completes backup names on the S3 target' {
        Complete 'Get-LhBackup -Target s3t -VolumeName s3-vol -Name ' | Should -Be @($s3Backup.Name)
        Complete 'Restore-LhBackup -Target s3t -VolumeName s3-vol -Name ' | Should -Be @($s3Backup.Name)
    }

    It 'completes nothing, and ends without an answer, on an endpoint that <Case>' -ForEach @(
        @{ Case = 'refuses connections'; Target = 'refusing' }
        @{ Case = 'does not resolve'; Target = 'unresolvable' }
        @{ Case = 'never answers'; Target = 'silent' }
    ) {
        # Completion ends by its own bound, never by an answer: the silent endpoint never gives one. It runs in a job
        # so that a completion with no bound fails the test instead of hanging the run; the job's 2 minutes are that
        # net, not a time window (the completion's own bound is a few seconds).
        $line = "Get-LhBackup -Target $Target -VolumeName "
        $job = Start-ThreadJob -ScriptBlock {
            Import-Module $env:LONGHORNBACKUP_TEST_MODULE
            $text = $using:line
            (TabExpansion2 -inputScript $text -cursorColumn $text.Length).CompletionMatches.CompletionText
        }
        $ended = $job | Wait-Job -Timeout 120
        $names = $job | Receive-Job -ErrorAction Stop
        $job | Remove-Job -Force
        $ended | Should -Not -BeNullOrEmpty -Because 'Tab must not wait for an answer that never comes'
        $names | Should -BeNullOrEmpty
        if ($Target -eq 'silent') { $silent.Pending() | Should -BeTrue -Because 'the completion connected and got no answer' }
    }
}
