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
            the modules folder -Destination names. Then Import-Module LonghornBackup works without a path. Without
            -Destination, when no pwsh is on PATH, it also writes a pwsh launcher for this PowerShell
            (~/.local/bin/pwsh, or /usr/local/bin/pwsh for AllUsers) so the examples run as printed.
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
        'Install' {
            if (-not $NoBuild) { Invoke-Build }
            $null = Install-StagedModule $StageDir -Scope $Scope -Destination $Destination
            if (-not $Destination) { $null = Install-PwshLauncher -Scope $Scope }
        }
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
