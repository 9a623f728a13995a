#Requires -Version 7.4
<#
.SYNOPSIS
    LonghornBackup's benchmark: the engine against the machine's own limit and against restic, on the same bytes,
    in one run. Every case is a separate process measured with /usr/bin/time -v; every figure is reported as a ratio
    to a baseline measured in the same run.
.DESCRIPTION
    Run through the build:  dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Bench
    Images (deterministic, seeded): a 4 GiB sparse image with about half of its 2 MiB block slots holding random data
    in runs, the same layout filled with compressible text, and copies of both with 5% of the slots rewritten (some
    holes become data). Baselines: openssl dgst -sha512, lz4 -1 and gzip -6 over the image's data bytes (the derived
    hash+compress ceiling is per-core rate times the core count), and restic 0.14 (Debian) full and incremental into a
    local repository. Targets and repositories live on /dev/shm when it exists, so the machine's disk does not set
    the pace for either tool. Writes results.json and results.md to out/bench/; then Run-ReplicaBenchmark.ps1 adds
    replica-results.*, Run-CatalogBenchmark.ps1 catalog-results.* (thousands of backups on S3, listing and retention),
    Run-DiskBenchmark.ps1 disk-results.* (16 GiB on disk) and Run-S3Benchmark.ps1 s3-results.* (against restic on S3).
.PARAMETER Quick
    lz4 and 2 MiB blocks on the random image only (a few minutes); the full matrix adds gzip, 16 MiB blocks and the
    text image.
.PARAMETER Repeat
    Runs every baseline and case this many times and reports each one's median run (by wall time); the other runs'
    wall times are kept in results.json. On a VM whose host memory comes and goes, one 2 GB write into fresh memory
    measured anywhere from 0.8 to 3.6 s within minutes: three runs keep one unlucky run from setting a ratio.
#>
[CmdletBinding()]
param(
    [switch] $Quick,
    [ValidateRange(1, 9)] [int] $Repeat = 1,
    [string] $WorkDir = (Join-Path $PSScriptRoot 'work'),
    [string] $OutDir = (Join-Path $PSScriptRoot '../out/bench'),
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
$inv = [Globalization.CultureInfo]::InvariantCulture

function Write-Step([string] $m) { Write-Host "==> $m" }

# --- tools ---------------------------------------------------------------------------------------------------------
function Install-BenchTools {
    $needed = @{ restic = 'restic'; lz4 = 'lz4'; openssl = 'openssl'; gzip = 'gzip' }
    $missing = @($needed.Keys | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) } | ForEach-Object { $needed[$_] })
    if (-not (Test-Path /usr/bin/time)) { $missing += 'time' }
    if ($missing.Count -eq 0) { return }
    Write-Step "apt-get install $($missing -join ' ')"
    & apt-get update -qq | Out-Null
    & apt-get install -y -qq @missing | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "apt-get install $($missing -join ' ') failed (run as root, with Debian's package registry reachable)." }
}

# Reset-PageCache, Measure-Process and Select-Median (shared with Run-ReplicaBenchmark.ps1).
. (Join-Path $PSScriptRoot 'BenchMeasure.ps1')

# --- setup ---------------------------------------------------------------------------------------------------------
Install-BenchTools
$cores = [Environment]::ProcessorCount
$null = New-Item -ItemType Directory -Force -Path $WorkDir, $OutDir
$OutDir = (Resolve-Path $OutDir).ProviderPath
$WorkDir = (Resolve-Path $WorkDir).ProviderPath
$fast = if (Test-Path /dev/shm) { Join-Path /dev/shm "lhbench-$PID" } else { Join-Path $WorkDir 'targets' }
$null = New-Item -ItemType Directory -Force -Path $fast

Write-Step "Building the benchmark driver ($Configuration)"
$bench = Build-BenchDriver $Configuration

$fills = if ($Quick) { @('random') } else { @('random', 'text') }
$compressions = if ($Quick) { @('lz4') } else { @('lz4', 'gzip') }
$blockSizes = if ($Quick) { @(2) } else { @(2, 16) }

# Deterministic images; regenerated only when missing.
$images = @{}
foreach ($fill in $fills) {
    $img = Join-Path $WorkDir "$fill.img"; $mut = Join-Path $WorkDir "$fill-5pct.img"; $data = Join-Path $WorkDir "$fill.data"
    if (-not (Test-Path $img)) {
        Write-Step "Generating $img (4 GiB, 50% data, $fill)"
        & $bench generate --output $img --size-gib 4 --seed 42 --fill $fill; if ($LASTEXITCODE) { throw 'generate failed' }
    }
    if (-not (Test-Path $mut)) {
        Write-Step "Rewriting 5% of the block slots into $mut"
        & cp --sparse=always $img $mut
        & $bench mutate --image $mut --percent 5 --seed 7 --fill $fill | Out-Null; if ($LASTEXITCODE) { throw 'mutate failed' }
    }
    if (-not (Test-Path $data)) { & $bench extract --image $img --output $data | Out-Null }
    $images[$fill] = @{ Image = $img; Mutated = $mut; Data = $data; DataBytes = (Get-Item $data).Length }
}
$big = Join-Path $WorkDir 'sparse-64g.img'
if (-not (Test-Path $big)) {
    Write-Step "Generating $big (64 GiB sparse, about as much data as the 4 GiB image)"
    & $bench generate --output $big --size-gib 64 --seed 43 --fill random --density 0.03; if ($LASTEXITCODE) { throw 'generate failed' }
}

$results = [ordered]@{ Machine = [ordered]@{ Cores = $cores; Os = [Runtime.InteropServices.RuntimeInformation]::OSDescription; Cpu = ((Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1) -replace '^model name\s*:\s*', '') ; Date = (Get-Date).ToUniversalTime().ToString('u') }; Baselines = [ordered]@{}; Cases = @() }

# --- baselines -----------------------------------------------------------------------------------------------------
foreach ($fill in $fills) {
    $d = $images[$fill]
    $mb = $d.DataBytes / 1MB
    $sha = Select-Median @(1..$Repeat | ForEach-Object { Measure-Process "sha512-$fill" openssl @('dgst', '-sha512', $d.Data) -Warm $d.Data })
    $lz4 = Select-Median @(1..$Repeat | ForEach-Object { Measure-Process "lz4-$fill" bash @('-c', "lz4 -1 -c '$($d.Data)' > /dev/null") -Warm $d.Data })
    $gz = Select-Median @(1..$Repeat | ForEach-Object { Measure-Process "gzip-$fill" bash @('-c', "gzip -6 -c '$($d.Data)' > /dev/null") -Warm $d.Data })
    $h = $mb / $sha.Wall; $c = $mb / $lz4.Wall; $g = $mb / $gz.Wall
    $results.Baselines[$fill] = [ordered]@{
        DataMB = [math]::Round($mb, 1)
        Sha512MBps = [math]::Round($h, 1); Lz4MBps = [math]::Round($c, 1); GzipMBps = [math]::Round($g, 1)
        # Per core, hashing and compressing a byte costs 1/H + 1/C seconds per MB; all cores together:
        CeilingLz4MBps = [math]::Round($cores / (1 / $h + 1 / $c), 1)
        CeilingGzipMBps = [math]::Round($cores / (1 / $h + 1 / $g), 1)
    }
}
$restic = @{}
$env:RESTIC_PASSWORD = 'lhbench'
foreach ($fill in $fills) {
    $fulls = @(); $incrs = @()
    foreach ($round in 1..$Repeat) {
        $repo = Join-Path $fast "restic-$fill"
        Remove-Item -Recurse -Force $repo -ErrorAction SilentlyContinue
        & restic init -q --repo $repo | Out-Null
        # restic keys its change detection on the path, so both runs back up the same path: the image, then the rewrite.
        $path = Join-Path $fast "restic-src-$fill.img"
        & cp --sparse=always $images[$fill].Image $path
        $fulls += Measure-Process "restic-full-$fill" restic @('-q', '--repo', $repo, 'backup', $path)
        & cp --sparse=always $images[$fill].Mutated $path
        $incrs += Measure-Process "restic-incremental-$fill" restic @('-q', '--repo', $repo, 'backup', $path)
        Remove-Item -Recurse -Force $repo, $path -ErrorAction SilentlyContinue
    }
    $full = Select-Median $fulls; $incr = Select-Median $incrs
    $restic[$fill] = @{ Full = $full; Incremental = $incr }
    $results.Baselines["restic-$fill"] = [ordered]@{ Version = ((& restic version) -split ' ')[1]; FullSeconds = $full.Wall; IncrementalSeconds = $incr.Wall; FullRssMB = $full.RssMB }
}

# --- cases ---------------------------------------------------------------------------------------------------------
function Invoke-Case {
    param([string] $Name, [string[]] $Arguments, [string] $Fill, [string] $Kind, [string] $Compression, [int] $BlockMiB, [string] $Target)
    $json = Join-Path $WorkDir "case-$Name.json"
    Write-Step $Name
    $imageAt = [array]::IndexOf($Arguments, '--image')
    $m = Measure-Process $Name $bench ($Arguments + @('--json', $json)) -WarmImages @(if ($imageAt -ge 0) { $Arguments[$imageAt + 1] })
    $engine = Get-Content -Raw $json | ConvertFrom-Json
    $dataMB = $images[$Fill].DataBytes / 1MB
    $case = [ordered]@{
        Name = $Name; Round = $script:round; Kind = $Kind; Target = $Target; Image = $Fill; Compression = $Compression; BlockMiB = $BlockMiB
        WallSeconds = $m.Wall; CpuSeconds = $m.Cpu; PeakRssMB = $m.RssMB; DataMBps = [math]::Round($dataMB / $m.Wall, 1)
        Engine = $engine
    }
    $script:results.Cases += [pscustomobject]$case
    [pscustomobject]$case
}

foreach ($round in 1..$Repeat) {
    if ($Repeat -gt 1) { Write-Step "Round $round of $Repeat" }
    foreach ($fill in $fills) {
        $img = $images[$fill]
        foreach ($comp in $compressions) {
            foreach ($bs in $blockSizes) {
                $tag = "$fill-$comp-${bs}m"
                $common = @('--volume', 'bench-vol', '--compression', $comp, '--block-size-mib', "$bs")
                $cacheDir = Join-Path $fast "cache-$tag"
                $null = Invoke-Case "full-null-$tag" (@('backup', '--target', 'null', '--snapshot', 's1', '--image', $img.Image, '--mode', 'full', '--no-cache') + $common) $fill 'full' $comp $bs 'null'
                $dir = Join-Path $fast "fs-$tag"
                Remove-Item -Recurse -Force $dir, $cacheDir -ErrorAction SilentlyContinue
                $null = New-Item -ItemType Directory -Path $dir
                $null = Invoke-Case "full-fs-$tag" (@('backup', '--target', $dir, '--snapshot', 's1', '--image', $img.Image, '--mode', 'full', '--cache-dir', $cacheDir) + $common) $fill 'full' $comp $bs 'fs'
                $null = Invoke-Case "incremental-fs-$tag" (@('backup', '--target', $dir, '--snapshot', 's2', '--image', $img.Mutated, '--mode', 'incremental', '--cache-dir', $cacheDir) + $common) $fill 'incremental' $comp $bs 'fs'
                $out = Join-Path $fast "restored-$tag.img"
                $null = Invoke-Case "restore-fs-$tag" @('restore', '--target', $dir, '--volume', 'bench-vol', '--backup', 'latest', '--output', $out) $fill 'restore' $comp $bs 'fs'
                Remove-Item -Recurse -Force $dir, $cacheDir, $out -ErrorAction SilentlyContinue
            }
        }
    }
    # The loopback S3 server (s3rver, as the tests use it): full, incremental and restore, lz4 and 2 MiB blocks. The
    # point here is requests: at most one PUT per new block plus a constant few, and no HEAD per block.
    Import-Module (Join-Path $PSScriptRoot '../tests/Pester/S3TestServer.psm1') -Force
    $awsDir = Join-Path $fast 'aws'; $null = New-Item -ItemType Directory -Force -Path $awsDir
    $s3env = @{ AWS_ACCESS_KEY_ID = 'LHBENCH'; AWS_SECRET_ACCESS_KEY = 'lhbench-secret'; AWS_SHARED_CREDENTIALS_FILE = (Join-Path $awsDir 'credentials');
                AWS_CONFIG_FILE = (Join-Path $awsDir 'config'); AWS_EC2_METADATA_DISABLED = 'true'; AWS_REGION = 'us-east-1' }
    foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $s3env[$k]) }
    $s3 = Start-TestS3Server -Bucket 'lhbench' -AccessKey 'LHBENCH'
    try {
        $img = $images['random']
        $url = 's3://lhbench@us-east-1/bench/'
        $common = @('--volume', 'bench-vol', '--compression', 'lz4', '--block-size-mib', '2', '--endpoint', $s3.Endpoint)
        $cacheDir = Join-Path $fast 'cache-s3'
        Remove-Item -Recurse -Force $cacheDir -ErrorAction SilentlyContinue
        $null = Invoke-Case 'full-s3-random-lz4-2m' (@('backup', '--target', $url, '--snapshot', 's1', '--image', $img.Image, '--mode', 'full', '--cache-dir', $cacheDir) + $common) 'random' 'full' 'lz4' 2 's3'
        $null = Invoke-Case 'incremental-s3-random-lz4-2m' (@('backup', '--target', $url, '--snapshot', 's2', '--image', $img.Mutated, '--mode', 'incremental', '--cache-dir', $cacheDir) + $common) 'random' 'incremental' 'lz4' 2 's3'
        $out = Join-Path $fast 'restored-s3.img'
        $null = Invoke-Case 'restore-s3-random-lz4-2m' @('restore', '--target', $url, '--volume', 'bench-vol', '--backup', 'latest', '--output', $out, '--endpoint', $s3.Endpoint) 'random' 'restore' 'lz4' 2 's3'
        Remove-Item -Force $out -ErrorAction SilentlyContinue
    }
    finally {
        Stop-TestS3Server $s3
        foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $null) }
    }

    # Memory does not grow with volume size: the same pipeline on a 64 GiB sparse image.
    $null = Invoke-Case 'full-null-sparse64g-lz4-2m' @('backup', '--target', 'null', '--volume', 'bench-vol', '--snapshot', 's1', '--image', $big, '--mode', 'full', '--no-cache', '--compression', 'lz4', '--block-size-mib', '2') 'random' 'full' 'lz4' 2 'null'
}
Remove-Item -Recurse -Force $fast -ErrorAction SilentlyContinue

# NBD export (issue 18): nbdcopy of an export against the restore of the same backup, the first read, the serving RSS.
$results['Export'] = & (Join-Path $PSScriptRoot 'Measure-Export.ps1') -Bench $bench -Image $images['random'].Image -Repeat $Repeat -WorkDir $WorkDir -OutDir $OutDir

# --- ratios --------------------------------------------------------------------------------------------------------
# Each case's median run (by wall time) stands for it; every run's wall time is kept in AllWallSeconds.
$allRuns = $results.Cases
$results.Cases = @($allRuns | Group-Object Name | ForEach-Object {
    $sorted = @($_.Group | Sort-Object WallSeconds)
    $median = $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
    $median | Add-Member -Force -NotePropertyName AllWallSeconds -NotePropertyValue @($_.Group | ForEach-Object WallSeconds)
    $median
} | Sort-Object { [array]::IndexOf(@($allRuns | ForEach-Object Name | Select-Object -Unique), $_.Name) })
function Get-Case([string] $name) { $script:results.Cases | Where-Object Name -EQ $name }
$rows = @()
foreach ($c in $results.Cases) {
    $b = $results.Baselines[$c.Image]
    $ratio = $null; $against = ''
    switch ($c.Kind) {
        'full' {
            if ($c.Target -eq 'null') {
                $ceiling = if ($c.Compression -eq 'gzip') { $b.CeilingGzipMBps } else { $b.CeilingLz4MBps }
                $ratio = $c.DataMBps / $ceiling; $against = "hash+$($c.Compression) ceiling $ceiling MB/s"
            } else {
                $ratio = $restic[$c.Image].Full.Wall / $c.WallSeconds; $against = "restic full $($restic[$c.Image].Full.Wall) s"
            }
        }
        'incremental' { $ratio = $restic[$c.Image].Incremental.Wall / $c.WallSeconds; $against = "restic incremental $($restic[$c.Image].Incremental.Wall) s" }
        'restore' {
            $full = Get-Case ($c.Name -replace '^restore-', 'full-')
            $ratio = $full.WallSeconds / $c.WallSeconds; $against = "own full backup $($full.WallSeconds) s"
        }
    }
    $c | Add-Member -NotePropertyName Ratio -NotePropertyValue ([math]::Round($ratio, 2))
    $c | Add-Member -NotePropertyName RatioAgainst -NotePropertyValue $against
    $rows += $c
}
$small = Get-Case 'full-null-random-lz4-2m'; $large = Get-Case 'full-null-sparse64g-lz4-2m'
$results['MemoryGrowth64GiBvs4GiB'] = [math]::Round($large.PeakRssMB / $small.PeakRssMB, 3)

$md = @('| case | wall s | CPU s | peak RSS MB | data MB/s | ratio | against | writes / stats / lists / reads |', '|---|---:|---:|---:|---:|---:|---|---|')
foreach ($r in $rows) {
    $q = $r.Engine.Requests
    $md += "| $($r.Name) | $($r.WallSeconds) | $([math]::Round($r.CpuSeconds, 2)) | $($r.PeakRssMB) | $($r.DataMBps) | **$($r.Ratio)** | $($r.RatioAgainst) | $($q.Writes) / $($q.Stats) / $($q.Lists + $q.TreeLists) / $($q.Reads) |"
}
$s3full = Get-Case 'full-s3-random-lz4-2m'
if ($s3full) {
    $results['S3FullBackupRequests'] = [ordered]@{
        NewBlocks = $s3full.Engine.Counters.NewBlocks; Puts = $s3full.Engine.Requests.Writes; Heads = $s3full.Engine.Requests.Stats
        PutsBeyondBlocks = $s3full.Engine.Requests.Writes - $s3full.Engine.Counters.BlocksUploaded
    }
}
$md += ''
$md += "Baselines: " + (($results.Baselines.GetEnumerator() | ForEach-Object { "$($_.Key): " + (($_.Value.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', ') }) -join '; ')
$md += "Peak RSS, 64 GiB sparse image / 4 GiB image (full backup, null sink): $($results.MemoryGrowth64GiBvs4GiB)"
if ($results.Contains('S3FullBackupRequests')) {
    $q = $results.S3FullBackupRequests
    $md += "S3 full backup: $($q.Puts) PUTs for $($q.NewBlocks) new blocks ($($q.PutsBeyondBlocks) metadata PUTs: cfgs, volume.cfg, lock), $($q.Heads) HEADs"
}
if ($Repeat -gt 1) { $md += "Each figure is the median of $Repeat runs (every run's wall time: AllWalls / AllWallSeconds in results.json)." }
$md += ''
$md += Get-Content -LiteralPath (Join-Path $OutDir 'export-results.md')
$md += "Machine: $($results.Machine.Cores) cores, $($results.Machine.Cpu), $($results.Machine.Os), $($results.Machine.Date)"
$md | Set-Content -LiteralPath (Join-Path $OutDir 'results.md')
$results | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath (Join-Path $OutDir 'results.json')
$md | Out-Host
Write-Host "Results: $(Join-Path $OutDir 'results.json'), $(Join-Path $OutDir 'results.md')"

# Replica chains: a snapshot-diff incremental against a flat-image incremental of the same snapshot, on disk.
& (Join-Path $PSScriptRoot 'Run-ReplicaBenchmark.ps1') -SizeGiB $(if ($Quick) { 4 } else { 16 }) -WorkDir $WorkDir -OutDir $OutDir -Configuration $Configuration

# The catalog at scale: thousands of backups on S3, listed and thinned by retention, against Longhorn's request count.
& (Join-Path $PSScriptRoot 'Run-CatalogBenchmark.ps1') -Backups $(if ($Quick) { 500 } else { 5000 }) -Blocks $(if ($Quick) { 5000 } else { 50000 }) `
    -KeepLast $(if ($Quick) { 100 } else { 1000 }) -WorkDir $WorkDir -OutDir $OutDir -Configuration $Configuration

# Backups at the size users have, on disk, against the disk's own limits and restic.
& (Join-Path $PSScriptRoot 'Run-DiskBenchmark.ps1') -SizeGiB $(if ($Quick) { 4 } else { 16 }) -WorkDir $WorkDir -OutDir $OutDir -Configuration $Configuration

# S3 at that size: the module and restic on the same loopback S3 server over HTTPS.
& (Join-Path $PSScriptRoot 'Run-S3Benchmark.ps1') -SizeGiB $(if ($Quick) { 4 } else { 16 }) -WorkDir $WorkDir -OutDir $OutDir -Configuration $Configuration
