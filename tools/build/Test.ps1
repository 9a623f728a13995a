# build.ps1 -Task Test (dot-sourced by build.ps1): builds, installs the test servers and clients, then runs the xunit
# projects and the Pester suite. Pester runs in lanes of fresh pwsh processes beside xunit: the tests mostly wait on
# servers and child processes, so lanes keep the whole run well under 15 minutes on 2 cores.

# Sums a TRX file's counters; a missing/unreadable TRX or a non-zero exit with no failed test counts as one failure.
function Read-TrxResult {
    param([string] $TrxPath, [int] $ExitCode, [string] $Name)
    if (-not (Test-Path -LiteralPath $TrxPath)) {
        Write-Host "    ${Name}: no TRX written (exit code $ExitCode); counted as 1 failure"
        return [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    $trx = [xml](Get-Content -Raw -LiteralPath $TrxPath)
    $c = $trx.TestRun.ResultSummary.Counters
    $passed = [int]$c.passed
    $failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
    if ($ExitCode -ne 0 -and $failed -eq 0) {
        Write-Host "    ${Name}: dotnet test exited $ExitCode with no failed test in the TRX (outcome '$($trx.TestRun.ResultSummary.outcome)'); counted as 1 failure"
        $failed = 1
    }
    Write-Host "    ${Name}: $passed passed, $failed failed (total $($c.total))"
    return [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Get-PesterPath {
    Write-Step 'dotnet restore tools/tools.proj (Pester)'
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/tools.proj'), '--nologo')
    $line = (& dotnet nuget locals global-packages --list) | Select-Object -First 1
    if ($LASTEXITCODE -ne 0 -or "$line" -notmatch '^global-packages:\s*(.+)$') {
        throw "Could not read the NuGet global-packages folder ('$line')."
    }
    $path = Join-Path $Matches[1].Trim() 'pester/6.2.0/tools/Pester.psd1'
    # The isolation tests find the other versions of our dependencies that tools.proj downloads here.
    $env:LONGHORNBACKUP_NUGET_PACKAGES = $Matches[1].Trim()
    if (-not (Test-Path -LiteralPath $path)) { throw "Pester not found at $path after restore." }
    return $path
}

# The S3 tests start s3rver (npm package, pinned by tools/s3rver/package-lock.json) on 127.0.0.1.
function Install-S3TestServer {
    $toolDir = Join-Path $Root 'tools/s3rver'
    $installed = Join-Path $toolDir 'node_modules/.package-lock.json'
    $lock = Join-Path $toolDir 'package-lock.json'
    if ((Test-Path -LiteralPath $installed) -and (Get-Item -Force -LiteralPath $installed).LastWriteTimeUtc -ge (Get-Item -LiteralPath $lock).LastWriteTimeUtc) {
        Write-Step 'tools/s3rver is installed'
        return
    }
    Write-Step 'npm ci (tools/s3rver: the S3 server the tests run on loopback)'
    Push-Location -LiteralPath $toolDir
    try { Invoke-Native npm @('ci', '--no-audit', '--no-fund') }
    finally { Pop-Location }
}

# AWS and proxy variables the tests must not inherit from the user's session (restored afterwards).
$AwsTestVariables = @(
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_REGION',
    'AWS_DEFAULT_REGION', 'AWS_ENDPOINTS', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_CERT', 'VIRTUAL_HOSTED_STYLE',
    'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED',
    'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
    'AZBLOB_ACCOUNT_NAME', 'AZBLOB_ACCOUNT_KEY', 'AZBLOB_ENDPOINT', 'AZBLOB_CERT', 'AZBLOB_SAS_TOKEN')

# Seconds each Pester file took in a clean run on 2 cores (out/test-results/pester-*-junit.xml), used only to
# balance the lanes; a file not listed counts as 15 s.
$PesterFileSeconds = @{
    'Lifecycle' = 107; 'Backup' = 40; 'Confirmation' = 34; 'Runbook' = 32; 'Manifest' = 31; 'Selection' = 25
    'Export' = 25; 'AzureBlob' = 24; 'Install' = 21; 'S3' = 19; 'Completion' = 17; 'Isolation' = 17; 'Views' = 16
    'TargetManifest' = 16; 'Replica' = 16; 'VolumeSize' = 11; 'HostileInput' = 11; 'WindowsPowerShell' = 4
    'Statistics' = 10; 'Docs' = 2; 'Bandwidth' = 17; 'PartialCheck' = 35; 'Salvage' = 12; 'RetentionPolicy' = 40; 'S3ByHand' = 3; 'S3DeadEndpoint' = 1; 'Help' = 1; 'Module' = 1; 'Shares' = 12; 'TransientFaults' = 20
}

# How many Pester processes run beside xunit.
$PesterLaneCount = 2

# Deals the Pester files into lanes of about equal measured time, longest first.
function Split-PesterLane {
    param([string[]] $Files, [int] $Count)
    $lanes = @(1..$Count | ForEach-Object { [pscustomobject]@{ Files = [Collections.Generic.List[string]]::new(); Seconds = 0 } })
    $weighed = $Files | ForEach-Object {
        $key = [IO.Path]::GetFileName($_) -replace '\.Tests\.ps1$', ''
        [pscustomobject]@{ Path = $_; Seconds = $(if ($PesterFileSeconds.ContainsKey($key)) { $PesterFileSeconds[$key] } else { 15 }) }
    }
    foreach ($f in $weighed | Sort-Object Seconds, Path -Descending) {
        $lane = $lanes | Sort-Object Seconds | Select-Object -First 1
        $lane.Files.Add($f.Path)
        $lane.Seconds += $f.Seconds
    }
    return $lanes | Where-Object { $_.Files.Count -gt 0 }
}

# Starts one Pester lane: a fresh pwsh running Invoke-PesterSuite.ps1 over its files, with its own target settings
# and block cache, its output to pester-N.log. Returns the thread job, whose output is the exit code.
function Start-PesterLane {
    param([int] $Index, [string[]] $Files, [string] $PesterPath, [string] $ConfigRoot)
    $cmd = @(Get-PwshCommand)
    $argList = @($cmd | Select-Object -Skip 1) + @(
        '-NoProfile', '-NonInteractive', '-File', (Join-Path $Root 'tests/Pester/Invoke-PesterSuite.ps1'),
        '-ModulePath', $Manifest, '-PesterPath', $PesterPath,
        '-ResultPath', (Join-Path $ResultsDir "pester-$Index.json"),
        '-ConfigDir', (Join-Path $ConfigRoot "pester-$Index"),
        '-TestPath', ($Files -join [IO.Path]::PathSeparator))
    $log = Join-Path $ResultsDir "pester-$Index.log"
    Write-Step "Pester lane $Index (fresh pwsh, output to $([IO.Path]::GetRelativePath($Root, $log))): $(($Files | ForEach-Object { [IO.Path]::GetFileName($_) }) -join ', ')"
    return Start-ThreadJob -Name "pester-$Index" -ArgumentList $cmd[0], $argList, $log -ScriptBlock {
        param($exe, $argList, $log)
        & $exe @argList *> $log
        $LASTEXITCODE
    }
}

# Waits for a lane, prints its log and reads its counts; no result file, or a non-zero exit with no failure
# recorded, counts as one failure.
function Receive-PesterLane {
    param([int] $Index, $Job)
    $code = Receive-Job -Job $Job -Wait -AutoRemoveJob | Select-Object -Last 1
    $log = Join-Path $ResultsDir "pester-$Index.log"
    Write-Step "Pester lane $Index output"
    if (Test-Path -LiteralPath $log) { Get-Content -LiteralPath $log | Out-Host }
    $json = Join-Path $ResultsDir "pester-$Index.json"
    if (Test-Path -LiteralPath $json) {
        $p = Get-Content -Raw -LiteralPath $json | ConvertFrom-Json
        $pp = [int]$p.passed
        $pf = [int]$p.failed
        if ($code -ne 0 -and $pf -eq 0) {
            Write-Host "    Pester lane ${Index}: runner exited $code with no failure recorded; counted as 1 failure"
            $pf = 1
        }
    }
    else {
        Write-Host "    Pester lane ${Index}: no result file written (exit code $code); counted as 1 failure"
        $pp = 0
        $pf = 1
    }
    Write-Host "    Pester lane ${Index}: $pp passed, $pf failed"
    return [pscustomobject]@{ Passed = $pp; Failed = $pf }
}

function Invoke-Test {
    Invoke-Build
    $pesterPath = Get-PesterPath
    Install-S3TestServer
    & (Join-Path $Root 'tools/Install-NbdClients.ps1') | Out-Host
    & (Join-Path $Root 'tools/azurite/Install-AzuriteTestServer.ps1') | Out-Host

    if (Test-Path -LiteralPath $ResultsDir) { Remove-Item -LiteralPath $ResultsDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $ResultsDir

    # Tests never see the user's real target configuration.
    $configDir = Join-Path ([IO.Path]::GetTempPath()) ("lhbackup-test-config-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $configDir
    $savedConfigDir = $env:LONGHORNBACKUP_CONFIG_DIR
    $env:LONGHORNBACKUP_CONFIG_DIR = $configDir
    # ... nor the user's block change cache.
    $savedCacheDir = $env:LONGHORNBACKUP_CACHE_DIR
    $env:LONGHORNBACKUP_CACHE_DIR = Join-Path $configDir 'block-cache'
    # ... nor the user's AWS credentials, profiles, endpoints or proxies; and no instance-metadata lookups.
    $savedAws = @{}
    foreach ($name in $AwsTestVariables) {
        $savedAws[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $configDir 'aws-credentials'
    $env:AWS_CONFIG_FILE = Join-Path $configDir 'aws-config'
    $env:AWS_EC2_METADATA_DISABLED = 'true'

    $passed = 0
    $failed = 0
    $jobs = @{}
    try {
        # (a) Pester lanes start first, each in a fresh process against the staged module, and run beside xunit.
        $pesterFiles = @(Get-ChildItem -Path (Join-Path $Root 'tests/Pester/*.Tests.ps1') -File | ForEach-Object FullName)
        $index = 0
        foreach ($lane in Split-PesterLane -Files $pesterFiles -Count $PesterLaneCount) {
            $index++
            $jobs[$index] = Start-PesterLane -Index $index -Files $lane.Files -PesterPath $pesterPath -ConfigRoot $configDir
        }
        # (b) xunit projects, one after the other, without stopping on failure.
        $testProjects = @(Get-ChildItem -Path (Join-Path $Root 'tests/*/*.Tests.csproj') -File | Sort-Object FullName)
        foreach ($proj in $testProjects) {
            $name = $proj.BaseName
            Write-Step "dotnet test $name"
            & dotnet test $proj.FullName --no-build -c $Configuration --nologo `
                --logger "trx;LogFileName=$name.trx" --logger 'console;verbosity=normal' `
                --results-directory $ResultsDir | Out-Host
            $r = Read-TrxResult -TrxPath (Join-Path $ResultsDir "$name.trx") -ExitCode $LASTEXITCODE -Name $name
            $passed += $r.Passed
            $failed += $r.Failed
        }

        # (b2) The vector SHA-512 again with the JIT's AVX-512, then AVX2, turned off: the code paths other machines
        # take (shift-based rotates; the platform SHA-512), tested on this one.
        $engineTests = $testProjects | Where-Object BaseName -eq 'LonghornBackup.Engine.Tests'
        foreach ($isa in 'AVX512', 'AVX2') {
            $name = "LonghornBackup.Engine.Tests-no$isa"
            Write-Step "dotnet test $name (VectorHash tests, DOTNET_Enable$isa=0)"
            $saved = [Environment]::GetEnvironmentVariable("DOTNET_Enable$isa")
            [Environment]::SetEnvironmentVariable("DOTNET_Enable$isa", '0')
            try {
                & dotnet test $engineTests.FullName --no-build -c $Configuration --nologo --filter 'Category=VectorHash' `
                    --logger "trx;LogFileName=$name.trx" --logger 'console;verbosity=minimal' `
                    --results-directory $ResultsDir | Out-Host
                $code = $LASTEXITCODE
            }
            finally { [Environment]::SetEnvironmentVariable("DOTNET_Enable$isa", $saved) }
            $r = Read-TrxResult -TrxPath (Join-Path $ResultsDir "$name.trx") -ExitCode $code -Name $name
            $passed += $r.Passed
            $failed += $r.Failed
        }

        # (c) Collect the Pester lanes.
        foreach ($i in $jobs.Keys | Sort-Object) {
            $r = Receive-PesterLane -Index $i -Job $jobs[$i]
            $passed += $r.Passed
            $failed += $r.Failed
        }
        $jobs.Clear()
    }
    finally {
        # A run stopped early (Ctrl+C, a throw) does not leave lanes running.
        foreach ($job in $jobs.Values) { Stop-Job -Job $job; Remove-Job -Job $job -Force }
        $env:LONGHORNBACKUP_CONFIG_DIR = $savedConfigDir
        $env:LONGHORNBACKUP_CACHE_DIR = $savedCacheDir
        foreach ($name in $AwsTestVariables) { [Environment]::SetEnvironmentVariable($name, $savedAws[$name]) }
        Remove-Item -LiteralPath $configDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    return [pscustomobject]@{ Passed = $passed; Failed = $failed }
}
