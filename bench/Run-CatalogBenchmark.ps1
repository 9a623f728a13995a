#Requires -Version 7.4
<#
.SYNOPSIS
    Catalog at scale (issue 17): a volume of -Backups backups (default 5,000) whose cfgs share a pool of -Blocks small
    blocks (default 50,000) on the loopback S3 server; Get-LhBackup's listing of it and a retention run keeping the
    newest -KeepLast (default 1,000, so 4,000 are removed).
.DESCRIPTION
    Run by bench/Run-Benchmark.ps1 (build.ps1 -Task Bench), or alone:
        dotnet pwsh -NoProfile -File bench/Run-CatalogBenchmark.ps1 [-Backups 5000] [-Blocks 50000] [-KeepLast 1000]
    Each step is a process under /usr/bin/time -v (wall time, peak RSS). Reported: requests by kind for the listing
    and for the retention run, and the requests Longhorn's own deletion would make for the same retention (it deletes
    one backup at a time and rebuilds every reference count from every remaining cfg and a directory-by-directory
    listing of the pool each time), simulated over the same store. Writes catalog-results.json/.md to -OutDir.
#>
[CmdletBinding()]
param(
    [ValidateRange(10, 100000)] [int] $Backups = 5000,
    [ValidateRange(100, 1000000)] [int] $Blocks = 50000,
    [ValidateRange(1, 100000)] [int] $KeepLast = 1000,
    [string] $WorkDir = (Join-Path $PSScriptRoot 'work'),
    [string] $OutDir = (Join-Path $PSScriptRoot '../out/bench'),
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ProgressPreference = 'SilentlyContinue'
$inv = [Globalization.CultureInfo]::InvariantCulture
function Write-Step([string] $m) { Write-Host "==> $m" }
. (Join-Path $PSScriptRoot 'BenchMeasure.ps1')

$null = New-Item -ItemType Directory -Force -Path $WorkDir, $OutDir
$WorkDir = (Resolve-Path $WorkDir).ProviderPath
$OutDir = (Resolve-Path $OutDir).ProviderPath
$bench = Build-BenchDriver $Configuration

Import-Module (Join-Path $PSScriptRoot '../tests/Pester/S3TestServer.psm1') -Force
$awsDir = Join-Path $WorkDir 'aws-catalog'; $null = New-Item -ItemType Directory -Force -Path $awsDir
$s3env = @{ AWS_ACCESS_KEY_ID = 'LHBENCH'; AWS_SECRET_ACCESS_KEY = 'lhbench-secret'; AWS_SHARED_CREDENTIALS_FILE = (Join-Path $awsDir 'credentials');
            AWS_CONFIG_FILE = (Join-Path $awsDir 'config'); AWS_EC2_METADATA_DISABLED = 'true'; AWS_REGION = 'us-east-1' }
foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $s3env[$k]) }
$s3 = Start-TestS3Server -Bucket 'lhcatalog' -AccessKey 'LHBENCH'
try {
    $common = @('--target', 's3://lhcatalog@us-east-1/bench/', '--endpoint', $s3.Endpoint, '--volume', 'many',
                '--backups', "$Backups", '--blocks', "$Blocks")
    function Invoke-Step([string] $Name, [string[]] $More) {
        Write-Step $Name
        $json = Join-Path $WorkDir "$Name.json"
        $m = Measure-Process $Name $bench (@($Name) + $common + @('--json', $json) + $More)
        $r = Get-Content -Raw $json | ConvertFrom-Json
        $r | Add-Member -NotePropertyName WallSeconds -NotePropertyValue $m.Wall
        $r | Add-Member -NotePropertyName PeakRssMB -NotePropertyValue $m.RssMB
        $r
    }
    $gen = Invoke-Step 'catalog-generate' @()
    $list = Invoke-Step 'catalog-list' @()
    $retain = Invoke-Step 'catalog-retain' @('--keep-last', "$KeepLast")
}
finally {
    Stop-TestS3Server $s3
    foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $null) }
}

# Requests as S3 counts them: a tree listing is one request per 1000 keys.
function Get-RequestCount($r) {
    $pages = if ($r.TreeLists -gt 0) { [math]::Max($r.TreeLists, [math]::Ceiling($r.TreeEntries / 1000)) } else { 0 }
    $r.Reads + $r.Writes + $r.Stats + $r.Deletes + $r.Lists + $pages
}
$ours = Get-RequestCount $retain.Requests
$results = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u'); Backups = $Backups; Blocks = $Blocks; KeepLast = $KeepLast
    GenerateSeconds = $gen.WallSeconds
    List = [ordered]@{ Seconds = $list.WallSeconds; PeakRssMB = $list.PeakRssMB; Requests = $list.Requests; RequestCount = (Get-RequestCount $list.Requests) }
    Retain = [ordered]@{ Seconds = $retain.WallSeconds; PeakRssMB = $retain.PeakRssMB; Deleted = $retain.Deleted; BlocksDeleted = $retain.BlocksDeleted
                         Requests = $retain.Requests; RequestCount = $ours }
    Longhorn = $retain.Longhorn
    LonghornOverOurs = [math]::Round($retain.Longhorn.Total / [math]::Max(1, $ours), 1)
}
$md = @(
    "Catalog of $Backups backups sharing $Blocks blocks on the loopback S3 server (generated in $($gen.WallSeconds) s):",
    '',
    '| step | wall s | peak RSS MB | GET | PUT | DELETE | LIST (dir) | tree listings (keys) | requests |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    "| Get-LhBackup (list) | $($list.WallSeconds) | $($list.PeakRssMB) | $($list.Requests.Reads) | $($list.Requests.Writes) | $($list.Requests.Deletes) | $($list.Requests.Lists) | $($list.Requests.TreeLists) ($($list.Requests.TreeEntries)) | $($results.List.RequestCount) |",
    "| retention -KeepLast $KeepLast (removes $($retain.Deleted), frees $($retain.BlocksDeleted) blocks) | $($retain.WallSeconds) | $($retain.PeakRssMB) | $($retain.Requests.Reads) | $($retain.Requests.Writes) | $($retain.Requests.Deletes) | $($retain.Requests.Lists) | $($retain.Requests.TreeLists) ($($retain.Requests.TreeEntries)) | $ours |",
    "| Longhorn's deletion, same retention (simulated) | | | $($retain.Longhorn.Gets) | $($retain.Longhorn.Puts) | $($retain.Longhorn.Deletes) | $($retain.Longhorn.Lists) | | $($retain.Longhorn.Total) |",
    '',
    "Longhorn's algorithm would make $($results.LonghornOverOurs)x the requests of this module's retention run."
)
$md | Set-Content -LiteralPath (Join-Path $OutDir 'catalog-results.md')
$results | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutDir 'catalog-results.json')
$md | Out-Host
