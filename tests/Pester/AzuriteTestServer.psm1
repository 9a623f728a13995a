# Starts and stops Azurite's Blob service (tools/azurite/launch.js) on 127.0.0.1 for Pester tests that need Azure.
# Runs `npm ci` in tools/azurite first when its packages are not installed. The emulator stops when the launcher's
# standard input closes, so a test run that dies leaves nothing behind.

$script:ToolDir = (Resolve-Path (Join-Path $PSScriptRoot '../../tools/azurite')).ProviderPath

# Azurite's development account and key: public and documented, not a secret.
$script:DevAccount = 'devstoreaccount1'
$script:DevKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Returns Endpoint (http://127.0.0.1:<port>), Port, Account, Key and the process; stop it with Stop-TestAzurite.
function Start-TestAzurite {
    & (Join-Path $script:ToolDir 'Install-AzuriteTestServer.ps1') | Out-Null
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $start.WorkingDirectory = $script:ToolDir
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    foreach ($a in @((Join-Path $script:ToolDir 'launch.js'), '--port', "$port")) { $start.ArgumentList.Add($a) }
    $process = [Diagnostics.Process]::Start($start)
    $null = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([TimeSpan]::FromSeconds(60)) -or -not $line.Result) {
        $process.Kill($true)
        throw 'Azurite did not start within 60 seconds.'
    }
    $null = $process.StandardOutput.ReadToEndAsync()
    [pscustomobject]@{
        Endpoint = "http://127.0.0.1:$port"
        Port     = $port
        Account  = $script:DevAccount
        Key      = $script:DevKey
        Process  = $process
    }
}

# Creates a container with a Put Container request signed with the development key (the module never creates one).
function New-TestAzuriteContainer {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Name)
    $date = [DateTime]::UtcNow.ToString('R')
    $version = '2025-01-05'
    $canonical = "PUT`n`n`n`n`n`n`n`n`n`n`n`nx-ms-date:$date`nx-ms-version:$version`n/$($Server.Account)/$($Server.Account)/$Name`nrestype:container"
    $hmac = [Security.Cryptography.HMACSHA256]::new([Convert]::FromBase64String($Server.Key))
    $signature = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($canonical)))
    $headers = @{ 'x-ms-date' = $date; 'x-ms-version' = $version; Authorization = "SharedKey $($Server.Account):$signature" }
    $null = Invoke-WebRequest -Method Put -Uri "$($Server.Endpoint)/$($Server.Account)/$($Name)?restype=container" -Headers $headers -UseBasicParsing
}

function Stop-TestAzurite {
    param([Parameter(Mandatory)] $Server)
    try {
        $Server.Process.StandardInput.Close()
        if (-not $Server.Process.WaitForExit(5000)) { $Server.Process.Kill($true) }
    }
    finally { $Server.Process.Dispose() }
}
