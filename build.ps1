#Requires -Version 7.4

<#
.SYNOPSIS
    Builds, stages, tests and demonstrates the LonghornBackup module.
.DESCRIPTION
    Build : dotnet build the solution, stage the importable module to out/LonghornBackup/,
            run Test-ModuleManifest on the staged manifest.
    Test  : Build, install the loopback S3 server (npm ci in tools/s3rver), then every
            tests/*/*.Tests.csproj (xunit, TRX to out/test-results/) and the Pester suite in
            tests/Pester (fresh pwsh, against the staged module). Tests never see the user's AWS
            settings. Ends with one line "N passed, N failed"; exits 1 if anything failed or nothing ran.
    Demo  : Build, then examples/Demo.ps1 in a fresh pwsh.
    Bench : the benchmark (bench/Run-Benchmark.ps1; -Quick for a short run, -Repeat 3 for medians of three runs):
            results in out/bench/.
    Clean : remove out/ and every bin/ and obj/ folder under src/, tests/ and tools/.
    Install: Build, then copy the staged module to <modules folder>/LonghornBackup/<version>/ (replacing that version):
            -Scope CurrentUser (default; ~/.local/share/powershell/Modules, Documents\PowerShell\Modules on Windows)
            or AllUsers (root/admin; /usr/local/share/powershell/Modules, $env:ProgramFiles\PowerShell\Modules), or
            the modules folder -Destination names. Then Import-Module LonghornBackup works without a path.
    Package: Build, then out/LonghornBackup.<version>.nupkg, which Install-PSResource (or Install-Module) installs
            from a repository (a folder registered with Register-PSResourceRepository) holding it.
    -NoBuild: Install and Package use the module already staged in out/LonghornBackup/.
.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh -NoProfile -File build.ps1 -Task Install; sudo dotnet pwsh -NoProfile -File build.ps1 -Task Install -Scope AllUsers
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean', 'Install', 'Package')]
    [string] $Task = 'Build',

    [string] $Configuration = 'Release',

    # Bench only: lz4, 2 MiB blocks, random image (minutes instead of the full matrix).
    [switch] $Quick,

    # Bench only: run every measurement this many times and report the medians.
    [ValidateRange(1, 9)] [int] $Repeat = 1,

    # Install only: CurrentUser (default) or AllUsers (as root/admin); -Destination: a modules folder instead.
    [ValidateSet('CurrentUser', 'AllUsers')] [string] $Scope = 'CurrentUser',
    [string] $Destination,

    # Install and Package only: use the module already staged in out/LonghornBackup/ instead of building.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$PSNativeCommandUseErrorActionPreference = $false   # exit codes are checked explicitly below
$ProgressPreference = 'SilentlyContinue'

# Plain CI logs: no ANSI escapes from PowerShell, .NET CLI or test runners.
$env:NO_COLOR = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
$env:MSBUILDTERMINALLOGGER = 'off'
$PSStyle.OutputRendering = 'PlainText'

$Root        = $PSScriptRoot
$OutDir      = Join-Path $Root 'out'
$StageDir    = Join-Path $OutDir 'LonghornBackup'
$ResultsDir  = Join-Path $OutDir 'test-results'
$ManifestSrc = Join-Path $Root 'LonghornBackup.psd1'
$Manifest    = Join-Path $StageDir 'LonghornBackup.psd1'
$CmdletsProj = Join-Path $Root 'src/LonghornBackup.Cmdlets/LonghornBackup.Cmdlets.csproj'
# PowerShell 7.4+ (net8.0) and Windows PowerShell 5.1 (net472); the manifest's RootModule picks one per edition.
$ModuleTfms  = @('net8.0', 'net472')
# Assemblies PowerShell itself provides; never shipped in the module folder.
$HostAssemblies = @('System.Management.Automation.dll', 'Microsoft.Management.Infrastructure.dll')

# Task code kept beside this script: Clean, Install, Package.
foreach ($helper in Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'tools/build') -Filter '*.ps1' -File) { . $helper.FullName }

function Write-Step([string] $Message) {
    Write-Host "==> $Message"
}

# Runs a native command and throws if it exits non-zero.
function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# A fresh process of the very PowerShell running this script (the `dotnet pwsh` local tool
# runs as `dotnet <PSHOME>/pwsh.dll`; an installed pwsh runs as its own executable).
function Get-PwshCommand {
    $self = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') {
        return @($self, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($self)
}

function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string[]] $ArgumentList)
    $cmd = @(Get-PwshCommand)
    $exe = $cmd[0]
    $pre = @($cmd | Select-Object -Skip 1)
    & $exe @pre -NoProfile -NonInteractive @ArgumentList | Out-Host
    return $LASTEXITCODE
}

function Get-ProjectVersion {
    $props = [xml](Get-Content -Raw -LiteralPath (Join-Path $Root 'Directory.Build.props'))
    $node = $props.SelectSingleNode('/Project/PropertyGroup/Version')
    if ($null -eq $node -or [string]::IsNullOrWhiteSpace($node.InnerText)) {
        throw 'Directory.Build.props has no <Version>.'
    }
    $v = $node.InnerText.Trim()
    if ($v -notmatch '^\d+\.\d+\.\d+(\.\d+)?$') {
        throw "Version '$v' in Directory.Build.props is not a plain Major.Minor.Patch[.Revision] version, which ModuleVersion requires."
    }
    return $v
}

function Invoke-Build {
    $version = Get-ProjectVersion

    Write-Step "dotnet build LonghornBackup.sln -c $Configuration (version $version)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'LonghornBackup.sln'), '-c', $Configuration, '--nologo')

    Write-Step "Staging module to $([IO.Path]::GetRelativePath($Root, $StageDir))"
    if (Test-Path -LiteralPath $StageDir) { Remove-Item -LiteralPath $StageDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $StageDir

    # 1. Manifest, with the version substituted.
    $text = Get-Content -Raw -LiteralPath $ManifestSrc
    $pattern = "(?m)^(\s*ModuleVersion\s*=\s*)'0\.0\.0'"
    if ([regex]::Matches($text, $pattern).Count -ne 1) {
        throw "Expected exactly one ModuleVersion = '0.0.0' placeholder in $ManifestSrc."
    }
    $text = [regex]::Replace($text, $pattern, "`${1}'$version'")
    [IO.File]::WriteAllText($Manifest, $text, [Text.UTF8Encoding]::new($false))

    # 2. module/: format/types files, about topics, en-US help; markdown help sources stay behind.
    $moduleDir = Join-Path $Root 'module'
    if (Test-Path -LiteralPath $moduleDir) {
        Get-ChildItem -LiteralPath $moduleDir -File -Recurse |
            Where-Object Extension -NE '.md' |
            ForEach-Object {
                $dest = Join-Path $StageDir ([IO.Path]::GetRelativePath($moduleDir, $_.FullName))
                $null = New-Item -ItemType Directory -Path (Split-Path $dest) -Force
                Copy-Item -LiteralPath $_.FullName -Destination $dest
            }
    }

    # 3. bin/<tfm>/LonghornBackup.dll (cmdlets, output types, the loader) and bin/<tfm>/deps/: the engine and every
    #    third-party assembly. On PowerShell 7 they load into the module's own AssemblyLoadContext, so other modules'
    #    versions of AWSSDK, YamlDotNet and the like never clash with ours; on Windows PowerShell 5.1 they resolve from
    #    deps/ through AppDomain.AssemblyResolve. No assembly PowerShell provides.
    foreach ($tfm in $ModuleTfms) {
        $targetDir = (& dotnet msbuild $CmdletsProj -nologo "-getProperty:TargetDir" "-p:Configuration=$Configuration" "-p:TargetFramework=$tfm")
        if ($LASTEXITCODE -ne 0 -or [string]::IsNullOrWhiteSpace("$targetDir")) {
            throw "Could not determine the $tfm output folder of $CmdletsProj."
        }
        $targetDir = "$targetDir".Trim()
        if (-not (Test-Path -LiteralPath (Join-Path $targetDir 'LonghornBackup.dll'))) {
            throw "Build output $targetDir has no LonghornBackup.dll."
        }
        $binDir = Join-Path $StageDir "bin/$tfm"
        Get-ChildItem -LiteralPath $targetDir -File -Recurse -Filter '*.dll' |
            Where-Object Name -NotIn $HostAssemblies |
            ForEach-Object {
                $relative = [IO.Path]::GetRelativePath($targetDir, $_.FullName)
                $dest = if ($relative -eq 'LonghornBackup.dll') { Join-Path $binDir $relative } else { Join-Path $binDir "deps/$relative" }
                $null = New-Item -ItemType Directory -Path (Split-Path $dest) -Force
                Copy-Item -LiteralPath $_.FullName -Destination $dest
            }
    }

    # 4. MAML help from docs/help/*.md and the built cmdlets (in a fresh process: it imports the staged module).
    Write-Step 'Help: docs/help/*.md -> en-US/LonghornBackup.dll-Help.xml'
    $code = Invoke-FreshPwsh @('-File', (Join-Path $Root 'tools/New-MamlHelp.ps1'), '-ModulePath', $Manifest,
        '-SourceDir', (Join-Path $Root 'docs/help'), '-OutputPath', (Join-Path $StageDir 'en-US/LonghornBackup.dll-Help.xml'))
    if ($code -ne 0) { throw "Generating help failed (exit code $code): every cmdlet needs docs/help/<cmdlet>.md." }

    Get-ChildItem -LiteralPath $StageDir -File -Recurse |
        ForEach-Object { Write-Host "    $([IO.Path]::GetRelativePath($StageDir, $_.FullName))" }

    Write-Step 'Test-ModuleManifest'
    $info = Test-ModuleManifest -Path $Manifest
    if ("$($info.Version)" -ne $version) {
        throw "Staged manifest has version $($info.Version), expected $version."
    }
    Write-Host "    $($info.Name) $($info.Version) OK"
}

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

function Invoke-Test {
    Invoke-Build
    $pesterPath = Get-PesterPath
    Install-S3TestServer
    & (Join-Path $Root 'tools/Install-NbdClients.ps1')
    & (Join-Path $Root 'tools/azurite/Install-AzuriteTestServer.ps1')

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
    try {
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

        # (c) Pester, in a fresh process, against the staged module.
        $pesterJson = Join-Path $ResultsDir 'pester.json'
        Write-Step 'Pester (fresh pwsh) against the staged module'
        $code = Invoke-FreshPwsh @(
            '-File', (Join-Path $Root 'tests/Pester/Invoke-PesterSuite.ps1'),
            '-ModulePath', $Manifest,
            '-PesterPath', $pesterPath,
            '-ResultPath', $pesterJson)
        if (Test-Path -LiteralPath $pesterJson) {
            $p = Get-Content -Raw -LiteralPath $pesterJson | ConvertFrom-Json
            $pp = [int]$p.passed
            $pf = [int]$p.failed
            if ($code -ne 0 -and $pf -eq 0) {
                Write-Host "    Pester: runner exited $code with no failure recorded; counted as 1 failure"
                $pf = 1
            }
        }
        else {
            Write-Host "    Pester: no result file written (exit code $code); counted as 1 failure"
            $pp = 0
            $pf = 1
        }
        Write-Host "    Pester: $pp passed, $pf failed"
        $passed += $pp
        $failed += $pf
    }
    finally {
        $env:LONGHORNBACKUP_CONFIG_DIR = $savedConfigDir
        $env:LONGHORNBACKUP_CACHE_DIR = $savedCacheDir
        foreach ($name in $AwsTestVariables) { [Environment]::SetEnvironmentVariable($name, $savedAws[$name]) }
        Remove-Item -LiteralPath $configDir -Recurse -Force -ErrorAction SilentlyContinue
    }

    return [pscustomobject]@{ Passed = $passed; Failed = $failed }
}

function Invoke-Demo {
    Invoke-Build
    Write-Step 'examples/Demo.ps1 (fresh pwsh)'
    $code = Invoke-FreshPwsh @('-File', (Join-Path $Root 'examples/Demo.ps1'), '-ModulePath', $Manifest)
    if ($code -ne 0) { throw "examples/Demo.ps1 failed with exit code $code." }
}

Push-Location -LiteralPath $Root
try {
    switch ($Task) {
        'Clean' { Invoke-Clean }
        'Build' { Invoke-Build }
        'Demo'  { Invoke-Demo }
        'Install' { if (-not $NoBuild) { Invoke-Build }; $null = Install-StagedModule $StageDir -Scope $Scope -Destination $Destination }
        'Package' { if (-not $NoBuild) { Invoke-Build }; $null = New-ModulePackage $StageDir -OutputDir $OutDir }
        'Bench' {
            Write-Step 'bench/Run-Benchmark.ps1 (fresh pwsh)'
            $benchArgs = @('-File', (Join-Path $Root 'bench/Run-Benchmark.ps1'), '-Configuration', $Configuration)
            if ($Quick) { $benchArgs += '-Quick' }
            $benchArgs += @('-Repeat', $Repeat)
            $code = Invoke-FreshPwsh $benchArgs
            if ($code -ne 0) { throw "bench/Run-Benchmark.ps1 failed with exit code $code." }
        }
        'Test' {
            $result = $null
            try {
                $result = Invoke-Test
            }
            catch {
                Write-Host "ERROR: $($_.Exception.Message)"
                Write-Host "$($_.ScriptStackTrace)"
                $result = [pscustomobject]@{ Passed = 0; Failed = 1 }   # a broken build is a failed run
            }
            if ($result.Passed -eq 0 -and $result.Failed -eq 0) { Write-Host 'ERROR: no test ran at all.' }
            Write-Host "$($result.Passed) passed, $($result.Failed) failed"
            if ($result.Failed -gt 0 -or $result.Passed -eq 0) { exit 1 }
            exit 0
        }
    }
}
catch {
    Write-Host "ERROR: $($_.Exception.Message)"
    Write-Host "$($_.ScriptStackTrace)"
    exit 1
}
finally {
    Pop-Location
}
exit 0
