#Requires -Version 7.4
<#
.SYNOPSIS
    Replica-chain benchmark: a snapshot-diff incremental from a Longhorn replica directory against an incremental of
    the same snapshot as a flat image, on the machine's disk, with the disk's own write rate measured in the same run.
.DESCRIPTION
    Run by bench/Run-Benchmark.ps1 (build.ps1 -Task Bench), or alone:
        dotnet pwsh -NoProfile -File bench/Run-ReplicaBenchmark.ps1 [-SizeGiB 16]
    A replica of -SizeGiB (default 16 GiB; -Density of its 2 MiB slots hold random data, default 0.75) with snapshot s1, then s2
    rewriting 2% of all slots, and flat images of s1 and s2 with the same bytes. Cases, each a process under
    /usr/bin/time -v, into folder targets on disk (not /dev/shm): the full backup of s1 and the incremental of s2, from
    the replica and from the flat images. Reported: the incremental's bytes read against the bytes s2 changed, and
    its wall time against the flat incremental's, both with Longhorn's 2 s lock wait and without it. The incrementals
    start with the page cache dropped and nothing read back in: at this size a node reads its volume from disk, and
    that reading is what a snapshot-diff incremental saves. Memory: the
    whole-chain backup of the same data in a 4 GiB and in a 1 TiB sparse replica (null sink), peak RSS compared.
    Writes replica-results.json and replica-results.md to -OutDir.
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1024)] [int] $SizeGiB = 16,
    # Share of the volume's 2 MiB slots holding data: a volume in use is mostly written (0.75 fits the replica, two
    # flat images and two targets of 16 GiB in this VM's free disk).
    [ValidateRange(0.01, 1.0)] [double] $Density = 0.75,
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
$root = Join-Path $WorkDir 'replica'
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Path $root

# The disk's own limit in this run: 1 GiB written and flushed.
$dd = Measure-Process 'dd-1g' dd @('if=/dev/zero', "of=$(Join-Path $root 'dd.bin')", 'bs=1M', 'count=1024', 'conv=fdatasync', 'status=none')
Remove-Item -Force (Join-Path $root 'dd.bin')
$diskMBps = [math]::Round(1024 / $dd.Wall, 1)

function New-Replica([string] $Name, [int] $GiB, [double] $Density, [double] $Percent = 2) {
    $dir = Join-Path $root "$Name-0a1b2c3d"
    Write-Step "Generating the replica $dir ($GiB GiB, density $Density, $Percent% of slots rewritten in s2)"
    $changed = [int](& $bench replica-generate --dir $dir --size-gib $GiB --seed 42 --density $Density --percent $Percent --mutate-seed 7)
    if ($LASTEXITCODE) { throw 'replica-generate failed' }
    @{ Dir = $dir; ChangedBytes = [long]$changed * 2MB; Layers = @(Get-ChildItem -LiteralPath $dir -Filter '*.img' | ForEach-Object FullName) }
}
function Invoke-Backup([string] $Name, [string[]] $Arguments, [string[]] $Warm) {
    Write-Step $Name
    $json = Join-Path $root "$Name.json"
    $m = Measure-Process $Name $bench (@('backup') + $Arguments + @('--compression', 'lz4', '--block-size-mib', '2', '--json', $json)) -WarmImages $Warm
    $e = Get-Content -Raw $json | ConvertFrom-Json
    [ordered]@{ Name = $Name; WallSeconds = $m.Wall; CpuSeconds = [math]::Round($m.Cpu, 2); PeakRssMB = $m.RssMB
                BytesRead = $e.Counters.BytesRead; DiffBase = $e.DiffBaseSnapshot; BlocksChanged = $e.BlocksChanged }
}

$rep = New-Replica 'bench-rep' $SizeGiB $Density
$flat1 = Join-Path $root 'flat-s1.img'; $flat2 = Join-Path $root 'flat-s2.img'
& cp --sparse=always (Join-Path $rep.Dir 'volume-snap-s1.img') $flat1
& cp --sparse=always $flat1 $flat2
& $bench mutate --image $flat2 --percent 2 --seed 7 --fill random | Out-Null; if ($LASTEXITCODE) { throw 'mutate failed' }

$repTarget = Join-Path $root 'target-replica'; $flatTarget = Join-Path $root 'target-flat'; $cache = Join-Path $root 'cache'
$null = New-Item -ItemType Directory -Path $repTarget, $flatTarget
$cases = @(
    Invoke-Backup 'replica-full-s1' @('--target', $repTarget, '--volume', 'rep', '--replica', $rep.Dir, '--snapshot', 's1', '--mode', 'incremental', '--no-cache') $rep.Layers
    Invoke-Backup 'replica-incremental-s2' @('--target', $repTarget, '--volume', 'rep', '--replica', $rep.Dir, '--snapshot', 's2', '--mode', 'incremental', '--no-cache') @()
    Invoke-Backup 'flat-full-s1' @('--target', $flatTarget, '--volume', 'flat', '--image', $flat1, '--snapshot', 's1', '--mode', 'incremental', '--cache-dir', $cache) @($flat1)
    Invoke-Backup 'flat-incremental-s2' @('--target', $flatTarget, '--volume', 'flat', '--image', $flat2, '--snapshot', 's2', '--mode', 'incremental', '--cache-dir', $cache) @()
)
Remove-Item -Recurse -Force $repTarget, $flatTarget, $cache, $flat1, $flat2, $rep.Dir -ErrorAction SilentlyContinue

# Memory against volume size: the same ~1 GiB of data in a 4 GiB and a 1 TiB sparse replica, whole chain, null sink.
$small = New-Replica 'mem-4g' 4 0.25
$large = New-Replica 'mem-1t' 1024 (0.25 * 4 / 1024) (2.0 * 4 / 1024)
$memSmall = Invoke-Backup 'replica-chain-4g-null' @('--target', 'null', '--volume', 'mem', '--replica', $small.Dir, '--snapshot', 's2', '--mode', 'full', '--no-cache') $small.Layers
$memLarge = Invoke-Backup 'replica-chain-1t-null' @('--target', 'null', '--volume', 'mem', '--replica', $large.Dir, '--snapshot', 's2', '--mode', 'full', '--no-cache') $large.Layers
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue

$incr = $cases | Where-Object { $_.Name -eq 'replica-incremental-s2' }
$flatIncr = $cases | Where-Object { $_.Name -eq 'flat-incremental-s2' }
$lockWait = 2.0   # Longhorn's LOCK_CHECK_WAIT_TIME, which every backup waits
$results = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u'); SizeGiB = $SizeGiB; Density = $Density; DiskWriteMBps = $diskMBps
    ChangedBytes = $rep.ChangedBytes
    BytesReadOverChanged = [math]::Round($incr.BytesRead / $rep.ChangedBytes, 3)
    SpeedupWithLockWait = [math]::Round($flatIncr.WallSeconds / $incr.WallSeconds, 2)
    SpeedupWithoutLockWait = [math]::Round(($flatIncr.WallSeconds - $lockWait) / [math]::Max(0.01, $incr.WallSeconds - $lockWait), 2)
    MemoryGrowth1TiBvs4GiB = [math]::Round($memLarge.PeakRssMB / $memSmall.PeakRssMB, 3)
    Cases = @($cases) + @($memSmall, $memLarge)
}
$md = @('| case | wall s | CPU s | peak RSS MB | bytes read | read since |', '|---|---:|---:|---:|---:|---|')
foreach ($c in $results.Cases) { $md += "| $($c.Name) | $($c.WallSeconds) | $($c.CpuSeconds) | $($c.PeakRssMB) | $($c.BytesRead) | $($c.DiffBase) |" }
$md += ''
$md += "Replica of $SizeGiB GiB on disk, $([math]::Round($Density * 100))% of its slots written (disk writes $diskMBps MB/s by dd conv=fdatasync in this run); s2 changed $($rep.ChangedBytes) bytes."
$md += "Snapshot-diff incremental read $($results.BytesReadOverChanged)x the changed bytes; it was $($results.SpeedupWithLockWait)x as fast as the flat-image incremental with the 2 s lock wait, $($results.SpeedupWithoutLockWait)x without it."
$md += "Peak RSS, 1 TiB / 4 GiB sparse replica with the same data: $($results.MemoryGrowth1TiBvs4GiB)"
$md | Set-Content -LiteralPath (Join-Path $OutDir 'replica-results.md')
$results | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutDir 'replica-results.json')
$md | Out-Host
