#Requires -Version 7.4
<#
.SYNOPSIS
    LonghornBackup and restic side by side on the same loopback S3 server over HTTPS (issue 17): a -SizeGiB image
    (default 16 GiB) with half of its 2 MiB slots holding random data; full backup, incremental after a 2% rewrite,
    restore; both tools on the same bytes, the same server and the same disk, in one run.
.DESCRIPTION
    Run by bench/Run-Benchmark.ps1 (build.ps1 -Task Bench), or alone:
        dotnet pwsh -NoProfile -File bench/Run-S3Benchmark.ps1 [-SizeGiB 16]
    The server is s3rver (tools/s3rver, as the tests start it) serving HTTPS with a self-signed certificate made here
    by openssl: restic's S3 client (minio-go) sends aws-chunked bodies over plain HTTP, which s3rver would store
    framing and all, so over HTTP restic's repository would be unreadable. Both tools trust the certificate through
    their own option (the module's CACertificatePath, restic's --cacert). The server's objects, the image, the
    restores and every cache live under -WorkDir on disk. Each case is a process under /usr/bin/time -v started with
    the page cache dropped. Reports wall time, CPU, peak RSS and what each tool stored; ratios are restic's time over
    the module's. Writes s3-results.json/.md to -OutDir.
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
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/S3TestServer.psm1') -Force

$null = New-Item -ItemType Directory -Force -Path $WorkDir, $OutDir
$WorkDir = (Resolve-Path $WorkDir).ProviderPath
$OutDir = (Resolve-Path $OutDir).ProviderPath
$bench = Build-BenchDriver $Configuration
$root = Join-Path $WorkDir 's3'
Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Path $root

$image = Join-Path $root 'vol.img'
$dataBytes = New-HalfRandomImage $image $SizeGiB

# A self-signed certificate for 127.0.0.1, trusted by each tool explicitly (never added to the system's store).
$cert = Join-Path $root 'cert.pem'; $key = Join-Path $root 'key.pem'
& openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=127.0.0.1' -addext 'subjectAltName=IP:127.0.0.1' -keyout $key -out $cert 2>&1 | Out-Null
if ($LASTEXITCODE) { throw 'openssl could not make the test certificate' }

$awsDir = Join-Path $root 'aws'; $null = New-Item -ItemType Directory -Path $awsDir
$s3env = @{ AWS_ACCESS_KEY_ID = 'LHBENCH'; AWS_SECRET_ACCESS_KEY = 'lhbench-secret'; AWS_SHARED_CREDENTIALS_FILE = (Join-Path $awsDir 'credentials');
            AWS_CONFIG_FILE = (Join-Path $awsDir 'config'); AWS_EC2_METADATA_DISABLED = 'true'; AWS_REGION = 'us-east-1'; RESTIC_PASSWORD = 'lhbench' }
foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $s3env[$k]) }
$objects = Join-Path $root 'objects'
$server = Start-TestS3Server -Bucket 'lhbench' -AccessKey 'LHBENCH' -CertificatePath $cert -KeyPath $key -Directory $objects
$c = [ordered]@{}
# The server's CPU time per case (s3rver is one Node.js process): how much of each case's wall time the server was busy.
$serverCpu = [ordered]@{}
function Measure-Case([string] $Key, [string] $Name, [string] $File, [string[]] $Arguments, [string[]] $WarmImages = @()) {
    $before = $server.Process.TotalProcessorTime.TotalSeconds
    $script:c[$Key] = Measure-Process $Name $File $Arguments -WarmImages $WarmImages
    $server.Process.Refresh()
    $script:serverCpu[$Name] = [math]::Round($server.Process.TotalProcessorTime.TotalSeconds - $before, 2)
}
try {
    $endpoint = $server.Endpoint
    $json = Join-Path $root 'step.json'
    $lh = @('--target', 's3://lhbench@us-east-1/longhorn/', '--endpoint', $endpoint, '--ca-cert', $cert, '--json', $json)
    $common = $lh + @('--volume', 's3-vol', '--compression', 'lz4', '--block-size-mib', '2', '--cache-dir', (Join-Path $root 'cache'))
    $repo = @('--repo', "s3:$endpoint/lhbench/restic", '--cacert', $cert)
    & restic @repo init -q 2>&1 | Out-Null
    if ($LASTEXITCODE) { throw "restic init on $endpoint failed" }

    Measure-Case Full 'full' $bench (@('backup', '--snapshot', 's1', '--image', $image, '--mode', 'full') + $common) -WarmImages $image
    Measure-Case ResticFull 'restic-full' restic (@('-q') + $repo + @('backup', $image)) -WarmImages $image
    Write-Step 'Rewriting 2% of the slots'
    & $bench mutate --image $image --percent 2 --seed 7 --fill random | Out-Null
    Measure-Case Incremental 'incremental' $bench (@('backup', '--snapshot', 's2', '--image', $image, '--mode', 'incremental') + $common) -WarmImages $image
    Measure-Case ResticIncremental 'restic-incremental' restic (@('-q') + $repo + @('backup', $image)) -WarmImages $image

    $restored = Join-Path $root 'restored.img'
    Measure-Case Restore 'restore' $bench (@('restore', '--volume', 's3-vol', '--backup', 'latest', '--output', $restored) + $lh)
    & cmp $image $restored | Out-Null
    $same = $LASTEXITCODE -eq 0
    Remove-Item -Force $restored
    # restic restores the file under its original path below --target.
    $resticOut = Join-Path $root 'restic-restore'
    Measure-Case ResticRestore 'restic-restore' restic (@('-q') + $repo + @('restore', 'latest', '--target', $resticOut))
    & cmp $image (Join-Path $resticOut $image) | Out-Null
    $resticSame = $LASTEXITCODE -eq 0
    Remove-Item -Recurse -Force $resticOut

    # What each tool keeps on the server (s3rver stores each object as a file, beside small metadata files).
    $stored = @{}
    foreach ($prefix in 'longhorn', 'restic') {
        $stored[$prefix] = [long](& du -sb (Join-Path $objects "lhbench/$prefix") | ForEach-Object { ($_ -split '\s+')[0] })
    }
}
finally {
    Stop-TestS3Server $server
    foreach ($k in $s3env.Keys) { [Environment]::SetEnvironmentVariable($k, $null) }
    Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
}

$r = { param($a, $b) [math]::Round($a / $b, 2) }
$mbps = { param($m) [math]::Round($dataBytes / 1MB / $m.Wall, 1) }
$results = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u'); SizeGiB = $SizeGiB; DataBytes = $dataBytes; Server = 's3rver over HTTPS on 127.0.0.1'
    Restic = ((& restic version) -split ' ')[1]
    RestoredBitExact = $same; ResticRestoredBitExact = $resticSame
    FullVsRestic = & $r $c.ResticFull.Wall $c.Full.Wall
    IncrementalVsRestic = & $r $c.ResticIncremental.Wall $c.Incremental.Wall
    RestoreVsRestic = & $r $c.ResticRestore.Wall $c.Restore.Wall
    FullMBps = & $mbps $c.Full; ResticFullMBps = & $mbps $c.ResticFull
    RestoreMBps = & $mbps $c.Restore; ResticRestoreMBps = & $mbps $c.ResticRestore
    StoredBytes = $stored['longhorn']; ResticStoredBytes = $stored['restic']
    Cases = $c.Values | ForEach-Object { [ordered]@{ Name = $_.Name; WallSeconds = $_.Wall; CpuSeconds = [math]::Round($_.Cpu, 2); PeakRssMB = $_.RssMB; ServerCpuSeconds = $serverCpu[$_.Name] } }
}
$md = @('| case | wall s | CPU s | peak RSS MB | server CPU s |', '|---|---:|---:|---:|---:|')
foreach ($x in $results.Cases) { $md += "| $($x.Name) | $($x.WallSeconds) | $($x.CpuSeconds) | $($x.PeakRssMB) | $($x.ServerCpuSeconds) |" }
$md += ''
$md += "Image of $SizeGiB GiB with $dataBytes bytes of data, backed up to the same s3rver over HTTPS on 127.0.0.1 by both tools (restic $($results.Restic))."
$md += "Against restic: full $($results.FullVsRestic)x ($($results.FullMBps) vs $($results.ResticFullMBps) MB/s of data), incremental $($results.IncrementalVsRestic)x, restore $($results.RestoreVsRestic)x ($($results.RestoreMBps) vs $($results.ResticRestoreMBps) MB/s) as fast; both restores bit-exact: $($same -and $resticSame)."
$md += "Stored on the server after both backups: $([math]::Round($results.StoredBytes / 1MB)) MB (module, lz4) vs $([math]::Round($results.ResticStoredBytes / 1MB)) MB (restic)."
$md | Set-Content -LiteralPath (Join-Path $OutDir 's3-results.md')
$results | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $OutDir 's3-results.json')
$md | Out-Host
