# README's "Running the S3 test server by hand": tools/s3rver/launch.js on a port of one's choosing, and a target set
# against it exactly as the README says, taking a backup.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force

    # Never the user's AWS settings: private credential files, no keys or endpoints from the environment.
    $script:awsVariables = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE',
        'AWS_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_CERT', 'VIRTUAL_HOSTED_STYLE', 'HTTP_PROXY', 'HTTPS_PROXY',
        'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'
    $script:savedEnv = @{}
    foreach ($v in $awsVariables) { $savedEnv[$v] = [Environment]::GetEnvironmentVariable($v); [Environment]::SetEnvironmentVariable($v, $null) }
    $script:work = New-TestFolder
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $work 'aws-credentials'
    $env:AWS_CONFIG_FILE = Join-Path $work 'aws-config'
    $env:AWS_EC2_METADATA_DISABLED = 'true'
    $null = Use-IsolatedTargetSettings

    # The README's commands: npm ci (done by Install-TestS3Server), then launch.js with a folder, bucket, key and port.
    Install-TestS3Server
    $script:port = Get-ClosedPort
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $start.WorkingDirectory = (Resolve-Path (Join-Path $PSScriptRoot '../../tools/s3rver')).ProviderPath
    foreach ($a in 'launch.js', '--directory', (Join-Path $work 's3data'), '--bucket', 'longhorn', '--access-key', 'LHBDEVKEY', '--port', "$port") {
        $start.ArgumentList.Add($a)
    }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.UseShellExecute = $false
    $null = New-Item -ItemType Directory -Path (Join-Path $work 's3data')
    $script:server = [Diagnostics.Process]::Start($start)
    $line = $server.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([TimeSpan]::FromSeconds(60))) { $server.Kill($true); throw 'launch.js did not start within 60 seconds.' }
    $script:announced = $line.Result
}

AfterAll {
    Remove-LhBackupTarget -Name local-s3 -Confirm:$false -ErrorAction SilentlyContinue
    if ($server) {
        $server.StandardInput.Close()
        if (-not $server.WaitForExit(5000)) { $server.Kill($true) }
        $server.Dispose()
    }
    foreach ($v in $awsVariables) { [Environment]::SetEnvironmentVariable($v, $savedEnv[$v]) }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The S3 test server run by hand' {
    It 'listens on 127.0.0.1 at the port given with --port' {
        ($announced | ConvertFrom-Json).port | Should -Be $port
    }

    It 'serves a target set as the README says' {
        Set-LhBackupTarget -Name local-s3 -Url s3://longhorn@us-east-1/backups/ -EndpointUrl "http://127.0.0.1:$port" -AccessKey LHBDEVKEY -SecretKey devsecret
        (Test-LhBackupTarget -Name local-s3).Available | Should -BeTrue
        $image = Join-Path $work 'vol.img'
        New-TestImage -Path $image -SizeMiB 4 -DataBlocks 0
        $backup = New-LhBackup -Target local-s3 -VolumeName vol-1 -SnapshotName s1 -Path $image
        (Get-LhBackup -Target local-s3).Name | Should -Be $backup.Name
    }
}
