# Measurement helpers of the benchmark scripts, dot-sourced by Run-Benchmark.ps1 and Run-ReplicaBenchmark.ps1.
# They use the caller's $bench (the driver), $WorkDir and $inv (the invariant culture).

# Every measured process starts from the same memory state: the page cache dropped (when we may), then only the
# files it reads (-Warm) read once, so every tool reads cached bytes and none pays for reclaiming what earlier cases
# left in the cache. Without this, which case spends seconds in the kernel depends on the run's history.
# The programs themselves (the .NET runtime and the driver, restic, openssl ...) are read back in too, so no case
# pays for loading its program from disk.
# Sparse images are warmed through their data ranges only (as a backup reads them), never their holes.
function Reset-PageCache([string] $Program, [string[]] $Warm, [string[]] $WarmImages) {
    if (Test-Path -LiteralPath /proc/sys/vm/drop_caches) {
        & sync
        try { [IO.File]::WriteAllText('/proc/sys/vm/drop_caches', '1') } catch { }   # needs root; else the cache stays as it is
    }
    $programFiles = @((Get-Command $Program -ErrorAction SilentlyContinue).Source) +
        @(Get-ChildItem -File -LiteralPath ([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()), (Split-Path $bench) | ForEach-Object FullName)
    foreach ($f in @($programFiles) + @($Warm)) { if ($f) { & cat $f > /dev/null } }
    foreach ($f in $WarmImages) { if ($f) { & $bench extract --image $f --output /dev/null | Out-Null } }
}

# Runs a command under /usr/bin/time -v; returns wall/cpu/rss and the command's stdout.
function Measure-Process {
    param([string] $Name, [string] $File, [string[]] $Arguments, [hashtable] $Environment = @{}, [string[]] $Warm = @(),
        [string[]] $WarmImages = @())
    $timeLog = Join-Path $WorkDir "time-$Name.txt"
    Reset-PageCache $File $Warm $WarmImages
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
    try {
        $out = & /usr/bin/time -v -o $timeLog $File @Arguments 2>&1
        $code = $LASTEXITCODE
    }
    finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    if ($code -ne 0) { throw "$Name failed (exit $code): $($out | Select-Object -Last 20 | Out-String)" }
    $t = Get-Content -Raw $timeLog
    $wall = if ($t -match 'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)') {
        [double]("0$($Matches[1])") * 3600 + [double]$Matches[2] * 60 + [double]::Parse($Matches[3], $inv)
    } else { throw "no wall time in $timeLog" }
    [pscustomobject]@{
        Name   = $Name
        Wall   = $wall
        Cpu    = [double]::Parse(([regex]::Match($t, 'User time \(seconds\): ([\d.]+)').Groups[1].Value), $inv) +
                 [double]::Parse(([regex]::Match($t, 'System time \(seconds\): ([\d.]+)').Groups[1].Value), $inv)
        RssMB  = [math]::Round([double]([regex]::Match($t, 'Maximum resident set size \(kbytes\): (\d+)').Groups[1].Value) / 1024, 1)
        Output = ($out | Out-String).Trim()
    }
}

# The median of $Repeat runs of a measurement (by wall time); every run's wall time goes into AllWalls.
function Select-Median([object[]] $Runs) {
    $sorted = @($Runs | Sort-Object Wall)
    $m = $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
    $m | Add-Member -Force -NotePropertyName AllWalls -NotePropertyValue @($Runs | ForEach-Object Wall)
    $m
}

# Builds the benchmark driver (bench/LonghornBackup.Bench) and returns the path of its executable.
function Build-BenchDriver([string] $Configuration = 'Release') {
    $project = Join-Path $PSScriptRoot 'LonghornBackup.Bench/LonghornBackup.Bench.csproj'
    & dotnet build $project -c $Configuration --nologo -v q | Out-Host
    if ($LASTEXITCODE -ne 0) { throw 'building the benchmark driver failed' }
    Join-Path $PSScriptRoot "LonghornBackup.Bench/bin/$Configuration/net10.0/LonghornBackup.Bench"
}

# Writes a sparse image of $SizeGiB with half of its 2 MiB slots holding random data (seed 1) and returns the bytes
# of data it holds on disk. The disk and S3 benchmarks back up the same image.
function New-HalfRandomImage([string] $Path, [int] $SizeGiB) {
    Write-Host "==> Generating $Path ($SizeGiB GiB, half of its slots random data)"
    & $bench generate --output $Path --size-gib $SizeGiB --seed 1 --fill random --density 0.5 | Out-Null
    if ($LASTEXITCODE) { throw 'generate failed' }
    [long](& du -B1 $Path | ForEach-Object { ($_ -split '\s+')[0] })
}
