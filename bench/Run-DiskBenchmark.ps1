#Requires -Version 7.4
<#
.SYNOPSIS
    Backups at the size users have, on the VM's disk (issue 17): a -SizeGiB image (default 16 GiB) with half of its
    2 MiB slots holding random data; full backup, incremental after a 2% rewrite, restore; restic on the same bytes;
    and the disk's own limits in the same run.
.DESCRIPTION
    Run by bench/Run-Benchmark.ps1 (build.ps1 -Task Bench), or alone:
        dotnet pwsh -NoProfile -File bench/Run-DiskBenchmark.ps1 [-SizeGiB 16]
    Everything lives under -WorkDir on disk (not /dev/shm). Each case is a process under /usr/bin/time -v, started with
    the page cache dropped and nothing read back in. Limits: dd of the data size to disk with conv=fdatasync (write),
    and one read of the image's data (read). Goals: full backup and restore >= 0.8 of the write limit, incremental
    within 1.2x of the read. Writes disk-results.json/.md to -OutDir.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1024)] [int] $SizeGiB = 16,
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
$root = Join-Path $WorkDir 'disk'
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Path $root

$image = Join-Path $root 'vol.img'
$dataBytes = New-HalfRandomImage $image $SizeGiB
$dataMiB = [math]::Ceiling($dataBytes / 1MB)

$target = Join-Path $root 'target'; $repo = Join-Path $root 'restic'; $restored = Join-Path $root 'restored.img'
$null = New-Item -ItemType Directory -Path $target
$cache = Join-Path $root 'cache'; $json = Join-Path $root 'step.json'
$common = @('--target', $target, '--volume', 'disk-vol', '--compression', 'lz4', '--block-size-mib', '2', '--json', $json, '--cache-dir', $cache)
$env:RESTIC_PASSWORD = 'lhbench'
& restic init -q --repo $repo | Out-Null

$ddFile = Join-Path $root 'dd.bin'
$c = [ordered]@{}
$c.WriteLimit = Measure-Process 'dd-write' dd @('if=/dev/zero', "of=$ddFile", 'bs=1M', "count=$dataMiB", 'conv=fdatasync', 'status=none')
Remove-Item -Force $ddFile
$c.ReadLimit = Measure-Process 'read-data' $bench @('extract', '--image', $image, '--output', '/dev/null')
$c.Full = Measure-Process 'full' $bench (@('backup', '--snapshot', 's1', '--image', $image, '--mode', 'full') + $common)
$c.ResticFull = Measure-Process 'restic-full' restic @('-q', '--repo', $repo, 'backup', $image)
Write-Step 'Rewriting 2% of the slots'
& $bench mutate --image $image --percent 2 --seed 7 --fill random | Out-Null
$c.Incremental = Measure-Process 'incremental' $bench (@('backup', '--snapshot', 's2', '--image', $image, '--mode', 'incremental') + $common)
$c.ResticIncremental = Measure-Process 'restic-incremental' restic @('-q', '--repo', $repo, 'backup', $image)
$c.Restore = Measure-Process 'restore' $bench @('restore', '--target', $target, '--volume', 'disk-vol', '--backup', 'latest', '--output', $restored, '--json', $json)
& cmp $image $restored | Out-Null
$same = $LASTEXITCODE -eq 0
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue

$r = { param($a, $b) [math]::Round($a / $b, 2) }
$results = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u'); SizeGiB = $SizeGiB; DataBytes = $dataBytes; RestoredBitExact = $same
    WriteLimitMBps = [math]::Round($dataBytes / 1MB / $c.WriteLimit.Wall, 1); ReadLimitMBps = [math]::Round($dataBytes / 1MB / $c.ReadLimit.Wall, 1)
    FullOfWriteLimit = & $r $c.WriteLimit.Wall $c.Full.Wall
    RestoreOfWriteLimit = & $r $c.WriteLimit.Wall $c.Restore.Wall
    IncrementalOverRead = & $r $c.Incremental.Wall $c.ReadLimit.Wall
    FullVsRestic = & $r $c.ResticFull.Wall $c.Full.Wall
    IncrementalVsRestic = & $r $c.ResticIncremental.Wall $c.Incremental.Wall
    Cases = $c.Values | ForEach-Object { [ordered]@{ Name = $_.Name; WallSeconds = $_.Wall; CpuSeconds = [math]::Round($_.Cpu, 2); PeakRssMB = $_.RssMB } }
}
$md = @('| case | wall s | CPU s | peak RSS MB |', '|---|---:|---:|---:|')
foreach ($x in $results.Cases) { $md += "| $($x.Name) | $($x.WallSeconds) | $($x.CpuSeconds) | $($x.PeakRssMB) |" }
$md += ''
$md += "Image of $SizeGiB GiB on disk with $dataBytes bytes of data; write limit $($results.WriteLimitMBps) MB/s (dd conv=fdatasync), read $($results.ReadLimitMBps) MB/s."
$md += "Full backup $($results.FullOfWriteLimit) of the write limit, restore $($results.RestoreOfWriteLimit) (bit-exact: $same); incremental $($results.IncrementalOverRead)x one read of the data."
$md += "Against restic 0.14 on the same image and disk: full $($results.FullVsRestic)x, incremental $($results.IncrementalVsRestic)x as fast."
$md | Set-Content -LiteralPath (Join-Path $OutDir 'disk-results.md')
$results | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutDir 'disk-results.json')
$md | Out-Host
