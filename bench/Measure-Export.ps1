#Requires -Version 7.4
<#
.SYNOPSIS
    The NBD export against the restore of the same backup: nbdcopy of the export to null: (throughput), the first
    4 KiB read of a cold export (latency), and the serving process's peak RSS against its cache size.
.DESCRIPTION
    Called by Run-Benchmark.ps1 (build.ps1 -Task Bench) with its 4 GiB random image; runs alone too, on an image of
    -SizeGiB generated here:
        dotnet pwsh -NoProfile -File bench/Measure-Export.ps1 -SizeGiB 1
    A full backup of the image goes to a folder target (on /dev/shm when it exists), then per round: the restore of
    that backup to a file on disk (under -WorkDir), then the export started cold (page cache dropped when root), the first 4 KiB read of a
    block in the middle (the export itself fetches its first data block when it starts), nbdcopy of the whole export
    to null:, and the export stopped. Each process runs under /usr/bin/time -v. Goals (issue 18):
    nbdcopy at >= 0.8 of the restore's throughput, first read < 50 ms, peak RSS < cache + 64 MB.
    Writes export-results.json and export-results.md to -OutDir and returns the result.
#>
[CmdletBinding()]
param(
    [string] $Bench,
    [string] $Image,
    [ValidateRange(1, 64)] [int] $SizeGiB = 4,
    [ValidateRange(8, 4096)] [int] $CacheMiB = 64,
    [ValidateRange(1, 9)] [int] $Repeat = 1,
    [string] $WorkDir = (Join-Path $PSScriptRoot 'work'),
    [string] $OutDir = (Join-Path $PSScriptRoot '../out/bench'),
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$inv = [Globalization.CultureInfo]::InvariantCulture
function Write-Step([string] $m) { Write-Host "==> $m" }

& (Join-Path $PSScriptRoot '../tools/Install-NbdClients.ps1')
$null = New-Item -ItemType Directory -Force -Path $WorkDir, $OutDir
if (-not $Bench) {
    . (Join-Path $PSScriptRoot 'BenchMeasure.ps1')
    $Bench = Build-BenchDriver $Configuration
}
if (-not $Image) {
    $Image = Join-Path $WorkDir "export-random-${SizeGiB}g.img"
    if (-not (Test-Path $Image)) {
        Write-Step "Generating $Image ($SizeGiB GiB, 50% data, random)"
        & $Bench generate --output $Image --size-gib $SizeGiB --seed 42 --fill random; if ($LASTEXITCODE) { throw 'generate failed' }
    }
}
$python = if (Test-Path /usr/bin/python3) { '/usr/bin/python3' } else { 'python3' }   # the one python3-libnbd is for

function Clear-PageCache {
    & sync
    try { [IO.File]::WriteAllText('/proc/sys/vm/drop_caches', '1') } catch { }   # needs root
}

function Read-TimeLog([string] $Path) {
    $t = Get-Content -Raw $Path
    $null = $t -match 'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)'
    [pscustomobject]@{
        Wall  = [double]("0$($Matches[1])") * 3600 + [double]$Matches[2] * 60 + [double]::Parse($Matches[3], $inv)
        RssMB = [math]::Round([double]([regex]::Match($t, 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value) / 1024, 1)
    }
}

function Measure-Command([string] $Name, [string] $File, [string[]] $Arguments) {
    $log = Join-Path $WorkDir "time-$Name.txt"
    $out = & /usr/bin/time -v -o $log $File @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Name failed: $($out | Out-String)" }
    Read-TimeLog $log
}

$fast = if (Test-Path /dev/shm) { Join-Path /dev/shm "lhbench-export-$PID" } else { Join-Path $WorkDir "export-$PID" }
$target = Join-Path $fast 'target'
$null = New-Item -ItemType Directory -Force -Path $target
$rounds = @()
try {
    Write-Step "Full backup of $Image to $target"
    & $Bench backup --target $target --volume bench-vol --snapshot s1 --image $Image --mode full --no-cache --compression lz4 --block-size-mib 2 --json (Join-Path $WorkDir 'export-backup.json') | Out-Null
    if ($LASTEXITCODE) { throw 'backup failed' }
    $dataBytes = (Get-Content -Raw (Join-Path $WorkDir 'export-backup.json') | ConvertFrom-Json).DataBytes
    foreach ($round in 1..$Repeat) {
        Write-Step "Round $round of ${Repeat}: restore"
        # The restore writes to the VM's disk, as a user's does: written into /dev/shm the same restore took 8 s
        # instead of 2.3 s here, every fresh tmpfs page a host fault (kernel time), which would flatter the export.
        $restored = Join-Path $WorkDir 'export-restored.img'
        Clear-PageCache
        $restore = Measure-Command 'export-restore' $Bench @('restore', '--target', $target, '--volume', 'bench-vol', '--backup', 'latest', '--output', $restored, '--json', (Join-Path $WorkDir 'export-restore.json'))
        Remove-Item -Force $restored

        Write-Step "Round $round of ${Repeat}: export, first read, nbdcopy to null:"
        $socket = Join-Path $fast 'export.sock'; $ready = Join-Path $fast 'ready'; $stop = Join-Path $fast 'stop'
        $json = Join-Path $WorkDir 'export-serve.json'; $log = Join-Path $WorkDir 'time-export-serve.txt'
        Remove-Item -Force $ready, $stop -ErrorAction Ignore
        Clear-PageCache
        $server = Start-Process -FilePath /usr/bin/time -PassThru -RedirectStandardError (Join-Path $WorkDir 'export-serve.err') -ArgumentList (@(
            '-v', '-o', $log, $Bench, 'export', '--target', $target, '--volume', 'bench-vol', '--backup', 'latest',
            '--socket', $socket, '--ready', $ready, '--stop', $stop, '--json', $json, '--cache-mib', "$CacheMiB"))
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path $ready) -and -not $server.HasExited -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        if (-not (Test-Path $ready)) { throw "the export did not start: $(Get-Content -Raw (Join-Path $WorkDir 'export-serve.err'))" }
        $uri = Get-Content -Raw $ready
        $first = (& $python (Join-Path $PSScriptRoot 'nbd-first-read.py') $uri) | ConvertFrom-Json
        if ($LASTEXITCODE) { throw 'the first read failed' }
        $copy = Measure-Command 'export-nbdcopy' nbdcopy @($uri, 'null:')
        $null = New-Item -ItemType File -Path $stop
        $server.WaitForExit()
        $serve = Read-TimeLog $log
        $served = Get-Content -Raw $json | ConvertFrom-Json
        $rounds += [pscustomobject]@{
            RestoreSeconds = $restore.Wall; RestoreRssMB = $restore.RssMB; NbdcopySeconds = $copy.Wall
            Ratio = [math]::Round($restore.Wall / $copy.Wall, 2)
            FirstReadMs = $first.ms; FirstReadOffset = $first.offset; ServeRssMB = $serve.RssMB; BytesRead = $served.BytesRead
            BlocksFetched = $served.BlocksFetched; FailedReads = $served.FailedReads
            ServeJitMs = [math]::Round($served.JitMs - $served.JitMsAtReady)   # compiling hot code while serving: CPU the copy shares
        }
    }
}
finally { Remove-Item -Recurse -Force $fast -ErrorAction SilentlyContinue }

$median = @($rounds | Sort-Object NbdcopySeconds)[[int][math]::Floor(($rounds.Count - 1) / 2)]
# The ratio is taken per round, restore and export back to back, then the median of those: this VM's speed drifts
# with its host's load over minutes, so a restore and a copy measured a few seconds apart compare like with like.
$ratios = @($rounds | ForEach-Object Ratio | Sort-Object)
$medianRatio = $ratios[[int][math]::Floor(($ratios.Count - 1) / 2)]
$dataMB = $dataBytes / 1MB
$result = [ordered]@{
    Image = $Image; ImageGiB = [math]::Round((Get-Item $Image).Length / 1GB, 2); DataMB = [math]::Round($dataMB, 1); CacheMiB = $CacheMiB
    RestoreSeconds = $median.RestoreSeconds; RestoreMBps = [math]::Round($dataMB / $median.RestoreSeconds, 1)
    NbdcopySeconds = $median.NbdcopySeconds; NbdcopyMBps = [math]::Round($dataMB / $median.NbdcopySeconds, 1)
    ThroughputRatio = $medianRatio; RoundRatios = $ratios
    FirstReadMs = $median.FirstReadMs; ServeRssMB = $median.ServeRssMB; RssBudgetMB = $CacheMiB + 64
    BlocksFetched = $median.BlocksFetched; FailedReads = $median.FailedReads; Rounds = $rounds
}
$md = @(
    '| export case | figure | goal |', '|---|---:|---|',
    "| nbdcopy export -> null: | $($result.NbdcopySeconds) s, $($result.NbdcopyMBps) MB/s of data | >= 0.8 of the restore |",
    "| restore of the same backup to a file | $($result.RestoreSeconds) s, $($result.RestoreMBps) MB/s | |",
    "| throughput ratio (restore s / nbdcopy s, median of rounds) | **$($result.ThroughputRatio)** (rounds: $($ratios -join ', ')) | >= 0.8 |",
    "| first 4 KiB read of a cold block, fresh export | **$($result.FirstReadMs) ms** | < 50 ms |",
    "| peak RSS of the serving process | **$($result.ServeRssMB) MB** | < $($result.RssBudgetMB) MB (cache $CacheMiB MiB + 64) |",
    "Image: $($result.ImageGiB) GiB, $($result.DataMB) MB of data; $Repeat round(s), times of the median round by nbdcopy time; $(Get-Date -AsUTC -Format u)")
$md | Set-Content -LiteralPath (Join-Path $OutDir 'export-results.md')
[pscustomobject]$result | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $OutDir 'export-results.json')
$md | Out-Host
[pscustomobject]$result
