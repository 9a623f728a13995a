# Starts and stops the loopback S3 server (s3rver via tools/s3rver/launch.js) for Pester tests that need S3.
# Runs `npm ci` in tools/s3rver first when its packages are not installed. The server exits when its standard
# input closes, so a test run that dies leaves nothing behind.

$script:ToolDir = (Resolve-Path (Join-Path $PSScriptRoot '../../tools/s3rver')).ProviderPath

function Install-TestS3Server {
    if (Test-Path -LiteralPath (Join-Path $script:ToolDir 'node_modules/s3rver/package.json')) { return }
    Push-Location -LiteralPath $script:ToolDir
    try {
        & npm ci --no-audit --no-fund | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "npm ci in $script:ToolDir failed with exit code $LASTEXITCODE." }
    }
    finally { Pop-Location }
}

# Returns an object with Endpoint (http://127.0.0.1:<port>, or https:// with -CertificatePath and -KeyPath, PEM
# files), Port, Directory and the process; stop it with Stop-TestS3Server. -Directory keeps the objects there (on disk
# for a benchmark) instead of a fresh temporary folder.
function Start-TestS3Server {
    param([string[]] $Bucket = @('lhb-pester'), [string[]] $AccessKey = @('LHBPESTERKEY'), [string] $CertificatePath, [string] $KeyPath,
        [string] $Directory, [switch] $AtomicPut)
    Install-TestS3Server
    $directory = if ($Directory) { $Directory } else { Join-Path ([IO.Path]::GetTempPath()) ("lh-pester-s3rver-" + [guid]::NewGuid().ToString('N')) }
    $null = New-Item -ItemType Directory -Force -Path $directory
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $start.WorkingDirectory = $script:ToolDir
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    foreach ($a in @((Join-Path $script:ToolDir 'launch.js'), '--directory', $directory)) { $start.ArgumentList.Add($a) }
    foreach ($b in $Bucket) { $start.ArgumentList.Add('--bucket'); $start.ArgumentList.Add($b) }
    foreach ($k in $AccessKey) { $start.ArgumentList.Add('--access-key'); $start.ArgumentList.Add($k) }
    if ($CertificatePath) { foreach ($a in '--cert', $CertificatePath, '--key', $KeyPath) { $start.ArgumentList.Add($a) } }
    # -AtomicPut: a PUT cut short leaves the old object, as on AWS or Ceph RGW; without it, s3rver writes into the object.
    if ($AtomicPut) { $start.ArgumentList.Add('--atomic-put') }
    $process = [Diagnostics.Process]::Start($start)
    $null = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([TimeSpan]::FromSeconds(60)) -or -not $line.Result) {
        $process.Kill($true)
        throw 's3rver did not start within 60 seconds.'
    }
    $null = $process.StandardOutput.ReadToEndAsync()
    $port = ($line.Result | ConvertFrom-Json).port
    [pscustomobject]@{
        Endpoint  = "$(if ($CertificatePath) { 'https' } else { 'http' })://127.0.0.1:$port"
        Port      = $port
        Directory = $directory
        Process   = $process
    }
}

function Stop-TestS3Server {
    param([Parameter(Mandatory)] $Server)
    try {
        $Server.Process.StandardInput.Close()
        if (-not $Server.Process.WaitForExit(5000)) { $Server.Process.Kill($true) }
    }
    finally {
        $Server.Process.Dispose()
        Remove-Item -LiteralPath $Server.Directory -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# A loopback port nothing listens on.
function Get-ClosedPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()
    $port
}

# Hides the user's AWS settings from the module: no keys, profiles, endpoints or proxies from the environment,
# credential files in a fresh folder, no instance-metadata lookups. Returns what to give Restore-AwsSettings.
function Use-IsolatedAwsSettings {
    $names = 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE',
        'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_CERT', 'VIRTUAL_HOSTED_STYLE',
        'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'
    $saved = @{}
    foreach ($n in $names) { $saved[$n] = [Environment]::GetEnvironmentVariable($n); [Environment]::SetEnvironmentVariable($n, $null) }
    $directory = Join-Path ([IO.Path]::GetTempPath()) ("lh-pester-aws-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $directory
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $directory 'credentials'
    $env:AWS_CONFIG_FILE = Join-Path $directory 'config'
    $env:AWS_EC2_METADATA_DISABLED = 'true'
    [pscustomobject]@{ Saved = $saved; Directory = $directory }
}

function Restore-AwsSettings {
    param([Parameter(Mandatory)] $Isolation)
    foreach ($n in $Isolation.Saved.Keys) { [Environment]::SetEnvironmentVariable($n, $Isolation.Saved[$n]) }
    Remove-Item -LiteralPath $Isolation.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

Export-ModuleMember -Function Install-TestS3Server, Start-TestS3Server, Stop-TestS3Server, Get-ClosedPort, Use-IsolatedAwsSettings, Restore-AwsSettings
