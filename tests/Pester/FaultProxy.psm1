# Starts and stops the fault-injecting proxy (tools/faultproxy/faultproxy.js, Node only, no packages) in front of a
# loopback s3rver or Azurite, for Pester tests of transient network faults. The proxy exits when its standard input
# closes, so a test run that dies leaves nothing behind.

$script:Script = (Resolve-Path (Join-Path $PSScriptRoot '../../tools/faultproxy/faultproxy.js')).ProviderPath

# Returns Endpoint (http://127.0.0.1:<port>), Port and the process; stop it with Stop-TestFaultProxy. -Rate spreads a
# share of faulted requests over every kind; -Fault @{ kind = rate } sets single kinds (faultproxy.js names them).
function Start-TestFaultProxy {
    param([Parameter(Mandatory)] [string] $Upstream, [double] $Rate = 0, [int] $Seed = 1, [int] $StallMilliseconds = 3000,
        [hashtable] $Fault = @{})
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $invariant = [Globalization.CultureInfo]::InvariantCulture
    foreach ($a in @($script:Script, '--upstream', $Upstream, '--seed', "$Seed", '--rate', $Rate.ToString($invariant), '--stall-ms', "$StallMilliseconds")) {
        $start.ArgumentList.Add($a)
    }
    foreach ($kind in $Fault.Keys) { $start.ArgumentList.Add('--fault'); $start.ArgumentList.Add("$kind=$(([double]$Fault[$kind]).ToString($invariant))") }
    $process = [Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    # A bound for a proxy that never starts, not a time window: node can take long to start on a busy machine.
    if (-not $line.Wait([TimeSpan]::FromSeconds(120)) -or -not $line.Result) {
        $process.Kill($true)
        throw "faultproxy did not start within 120 seconds: $(if ($stderr.Wait(2000)) { $stderr.Result })"
    }
    $null = $process.StandardOutput.ReadToEndAsync()
    $port = ($line.Result | ConvertFrom-Json).port
    [pscustomobject]@{
        Endpoint = "http://127.0.0.1:$port"
        Port     = $port
        Process  = $process
    }
}

# The requests the proxy saw and the faults it injected: Requests, and Faults with a count per kind.
function Get-TestFaultProxyStat {
    param([Parameter(Mandatory)] $Proxy)
    Invoke-RestMethod -Uri "$($Proxy.Endpoint)/__faultproxy/stats" -NoProxy
}

function Stop-TestFaultProxy {
    param([Parameter(Mandatory)] $Proxy)
    try {
        $Proxy.Process.StandardInput.Close()
        if (-not $Proxy.Process.WaitForExit(5000)) { $Proxy.Process.Kill($true) }
    }
    finally { $Proxy.Process.Dispose() }
}

Export-ModuleMember -Function Start-TestFaultProxy, Get-TestFaultProxyStat, Stop-TestFaultProxy
