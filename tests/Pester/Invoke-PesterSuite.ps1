#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite in tests/Pester against a built module. Called by build.ps1 -Task Test
    in a fresh pwsh; can be run by hand the same way:

    dotnet pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuite.ps1 `
        -ModulePath out/LonghornBackup/LonghornBackup.psd1 `
        -PesterPath ~/.nuget/packages/pester/6.2.0/tools/Pester.psd1 `
        -ResultPath out/test-results/pester.json
.DESCRIPTION
    Test files import the module under test with: Import-Module $env:LONGHORNBACKUP_TEST_MODULE
    Writes JUnit XML next to -ResultPath (<name>-junit.xml) and {"passed":N,"failed":N} to
    -ResultPath. Exit code 1 if any test, block or container failed.
    -ConfigDir gives this run its own target settings and block cache (LONGHORNBACKUP_CONFIG_DIR and
    LONGHORNBACKUP_CACHE_DIR), so that several runs can go at once without seeing each other's targets.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string[]] $TestPath = @($PSScriptRoot),
    [string] $ConfigDir
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$env:NO_COLOR = '1'
$PSStyle.OutputRendering = 'PlainText'

# Several files can come as one argument joined by the path separator (':' or ';'), as pwsh -File passes one string.
$TestPath = @($TestPath | ForEach-Object { $_ -split [IO.Path]::PathSeparator } | Where-Object { $_ })

if ($ConfigDir) {
    $null = New-Item -ItemType Directory -Path $ConfigDir -Force
    $env:LONGHORNBACKUP_CONFIG_DIR = $ConfigDir
    $env:LONGHORNBACKUP_CACHE_DIR = Join-Path $ConfigDir 'block-cache'
}

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$env:LONGHORNBACKUP_TEST_MODULE = $ModulePath
$resultDir = Split-Path -Parent ([IO.Path]::GetFullPath($ResultPath, (Get-Location).ProviderPath))
$null = New-Item -ItemType Directory -Path $resultDir -Force
$ResultPath = Join-Path $resultDir (Split-Path -Leaf $ResultPath)
if (Test-Path -LiteralPath $ResultPath) { Remove-Item -LiteralPath $ResultPath -Force }

Import-Module -Name $PesterPath -Force
Write-Host "Pester $((Get-Module Pester).Version) on PowerShell $($PSVersionTable.PSVersion); module under test: $ModulePath"

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
$config.Output.RenderMode = 'Plaintext'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'JUnitXml'
$config.TestResult.OutputPath = Join-Path $resultDir ([IO.Path]::GetFileNameWithoutExtension($ResultPath) + '-junit.xml')

$run = Invoke-Pester -Configuration $config

# Every failure counts once: each failed test, plus each failed block (AfterAll throwing) and each
# failed container (file that does not parse, top-level BeforeAll throwing) that has no failed test
# to show for it.
$silentBlocks = @($run.FailedBlocks | Where-Object { $_.FailedCount -eq 0 }).Count
$silentContainers = @($run.FailedContainers | Where-Object { $_.FailedCount -eq 0 }).Count
$failed = $run.FailedCount + $silentBlocks + $silentContainers
$summary = [ordered]@{
    passed           = $run.PassedCount
    failed           = $failed
    failedTests      = $run.FailedCount
    failedBlocks     = $run.FailedBlocksCount
    failedContainers = $run.FailedContainersCount
    skipped          = $run.SkippedCount
    notRun           = $run.NotRunCount
    result           = "$($run.Result)"
}
$summary | ConvertTo-Json | Set-Content -LiteralPath $ResultPath -Encoding utf8NoBOM

if ($failed -gt 0 -or $run.Result -ne 'Passed') { exit 1 }
exit 0
