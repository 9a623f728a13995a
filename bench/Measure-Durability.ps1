#Requires -Version 7.4
<#
.SYNOPSIS
    What making blocks durable costs a full backup to a folder on disk: the disk's flushed write limit (dd
    conv=fdatasync of the same amount of data) against full backups that make their blocks durable with one syncfs
    before the cfg (the default) and with an fsync per block, and optionally a baseline build of the driver.
.DESCRIPTION
        dotnet pwsh -NoProfile -File bench/Measure-Durability.ps1 [-SizeGiB 16] [-Repeat 2] [-BaselineDriver <path>]
    The image is the disk bench's (half of its 2 MiB slots random data). Every case is a process started with the page
    cache dropped (as root), into a fresh target folder. The figure of each case is dd's time over its own time in the
    same round (1.00: as fast as the disk's flushed write limit); the report gives each round and the medians.
    -BaselineDriver runs another build of bench/LonghornBackup.Bench (e.g. from before a change) as one more case.
    Writes durability-results.json/.md to -OutDir.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1024)] [int] $SizeGiB = 16,
    [ValidateRange(1, 9)] [int] $Repeat = 2,
    [string] $BaselineDriver,
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
$root = Join-Path $WorkDir 'durability'
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Path $root

$image = Join-Path $root 'vol.img'
$dataBytes = New-HalfRandomImage $image $SizeGiB
$dataMiB = [math]::Ceiling($dataBytes / 1MB)
$ddFile = Join-Path $root 'dd.bin'
$json = Join-Path $root 'step.json'

$cases = [ordered]@{ syncfs = @($bench, @()); 'fsync-per-block' = @($bench, @('--block-sync', 'per-file')) }
if ($BaselineDriver) { $cases.baseline = @((Resolve-Path $BaselineDriver).ProviderPath, @()) }

$rounds = foreach ($round in 1..$Repeat) {
    Write-Step "Round $round of $Repeat"
    $r = [ordered]@{ Round = $round }
    $r.dd = Measure-Process 'dd-write' dd @('if=/dev/zero', "of=$ddFile", 'bs=1M', "count=$dataMiB", 'conv=fdatasync', 'status=none')
    Remove-Item -Force $ddFile
    foreach ($name in $cases.Keys) {
        $target = Join-Path $root "target-$name"
        Remove-Item -Recurse -Force $target -ErrorAction SilentlyContinue
        $null = New-Item -ItemType Directory -Path $target
        $driver, $extra = $cases[$name]
        $argList = @('backup', '--target', $target, '--volume', 'vol', '--snapshot', 's1', '--image', $image, '--mode', 'full',
            '--compression', 'lz4', '--block-size-mib', '2', '--json', $json, '--no-cache') + $extra
        $r[$name] = Measure-Process "full-$name" $driver $argList
        Remove-Item -Recurse -Force $target
    }
    [pscustomobject]$r
}

$summary = foreach ($name in $cases.Keys) {
    $ratios = @($rounds | ForEach-Object { $_.dd.Wall / $_.$name.Wall })
    $sorted = @($ratios | Sort-Object)
    [pscustomobject]@{
        Case        = $name
        Rounds      = ($ratios | ForEach-Object { $_.ToString('0.00', $inv) }) -join ', '
        MedianRatio = [math]::Round($sorted[[int][math]::Floor(($sorted.Count - 1) / 2)], 2)
        Walls       = ($rounds | ForEach-Object { $_.$name.Wall.ToString('0.0', $inv) }) -join ', '
        DdWalls     = ($rounds | ForEach-Object { $_.dd.Wall.ToString('0.0', $inv) }) -join ', '
    }
}
$summary | Format-Table -AutoSize | Out-Host
$result = [ordered]@{ SizeGiB = $SizeGiB; DataMiB = $dataMiB; Date = (Get-Date).ToUniversalTime().ToString('u'); Summary = $summary; Rounds = $rounds }
$result | ConvertTo-Json -Depth 6 | Set-Content (Join-Path $OutDir 'durability-results.json')
$md = @("| case | dd / case, per round | median | case wall s | dd wall s |", '|---|---|---|---|---|') +
    @($summary | ForEach-Object { "| $($_.Case) | $($_.Rounds) | **$($_.MedianRatio)** | $($_.Walls) | $($_.DdWalls) |" })
$md -join "`n" | Set-Content (Join-Path $OutDir 'durability-results.md')
Remove-Item -Recurse -Force $root
